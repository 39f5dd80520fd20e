/*
 * The ABI between packetdrill and a TCP stack loaded with --so_filename.
 *
 * packetdrill dlopen()s the library, calls its packetdrill_interface_init()
 * with the text of --so_flags, and from then on makes every socket call and
 * moves every packet through the function pointers the library filled in.
 * This is our own declaration of that table, written from reading
 * packetdrill's gtests/net/packetdrill/packetdrill.h: the members, their
 * order and their types must stay exactly as packetdrill lays them out
 * (packetdrill's own code is GPL and never enters this tree).
 *
 * Conventions (packetdrill compares with what a kernel does): calls return
 * what libc returns, -1 with errno set on failure. netdev_send takes one raw
 * IP datagram into the stack; netdev_receive gives the next datagram out of
 * it, with the time it left in microseconds on the gettimeofday() timeline,
 * and sets *count to 0 when there is none. Times are microseconds.
 */
#ifndef UTCP_PD_ABI_H
#define UTCP_PD_ABI_H

/* loff_t and epoll are GNU/Linux: every includer defines _GNU_SOURCE first. */
#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE before including pd_abi.h"
#endif

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

struct packetdrill_interface {
	void *userdata;
	void (*free)(void *userdata);
	int (*socket)(void *userdata, int domain, int type, int protocol);
	int (*bind)(void *userdata, int sockfd, const struct sockaddr *addr,
		    socklen_t addrlen);
	int (*listen)(void *userdata, int sockfd, int backlog);
	int (*accept)(void *userdata, int sockfd, struct sockaddr *addr,
		      socklen_t *addrlen);
	int (*connect)(void *userdata, int sockfd, const struct sockaddr *addr,
		       socklen_t addrlen);
	ssize_t (*read)(void *userdata, int fd, void *buf, size_t count);
	ssize_t (*readv)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
	ssize_t (*recv)(void *userdata, int sockfd, void *buf, size_t len, int flags);
	ssize_t (*recvfrom)(void *userdata, int sockfd, void *buf, size_t len,
			    int flags, struct sockaddr *src_addr, socklen_t *addrlen);
	ssize_t (*recvmsg)(void *userdata, int sockfd, struct msghdr *msg, int flags);
	ssize_t (*write)(void *userdata, int fd, const void *buf, size_t count);
	ssize_t (*writev)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
	ssize_t (*send)(void *userdata, int sockfd, const void *buf, size_t len,
			int flags);
	ssize_t (*sendto)(void *userdata, int sockfd, const void *buf, size_t len,
			  int flags, const struct sockaddr *dest_addr,
			  socklen_t addrlen);
	ssize_t (*sendmsg)(void *userdata, int sockfd, const struct msghdr *msg,
			   int flags);
	int (*fcntl)(void *userdata, int fd, int cmd, ...);
	int (*ioctl)(void *userdata, int fd, unsigned long request, ...);
	int (*close)(void *userdata, int fd);
	int (*shutdown)(void *userdata, int sockfd, int how);
	int (*getsockopt)(void *userdata, int sockfd, int level, int optname,
			  void *optval, socklen_t *optlen);
	int (*setsockopt)(void *userdata, int sockfd, int level, int optname,
			  const void *optval, socklen_t optlen);
	int (*poll)(void *userdata, struct pollfd *fds, nfds_t nfds, int timeout);
	/* One IP datagram into the stack. 0, or -1 on error. */
	int (*netdev_send)(void *userdata, const void *buf, size_t count);
	/* The next datagram out of the stack into buf; *count is the buffer
	 * size on entry, the datagram's length (0: none) on return;
	 * *time_usecs when it left. 0, or -1 on error. */
	int (*netdev_receive)(void *userdata, void *buf, size_t *count,
			      long long *time_usecs);
	int (*usleep)(void *userdata, useconds_t usec);
	int (*gettimeofday)(void *userdata, struct timeval *tv, struct timezone *tz);
	int (*epoll_create)(void *userdata, int size);
	int (*epoll_ctl)(void *userdata, int epfd, int op, int fd,
			 struct epoll_event *event);
	int (*epoll_wait)(void *userdata, int epfd, struct epoll_event *events,
			  int maxevents, int timeout);
	int (*pipe)(void *userdata, int pipefd[2]);
	int (*splice)(void *userdata, int fd_in, loff_t *off_in, int fd_out,
		      loff_t *off_out, size_t len, unsigned int flags);
};

typedef void (*packetdrill_interface_init_t)(const char *flags,
					     struct packetdrill_interface *ifc);

#endif
