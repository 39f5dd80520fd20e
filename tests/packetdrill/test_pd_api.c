/*
 * The Linux face of the adapter: errno values, option and flag mapping,
 * poll and epoll with virtual timeouts, and --so_flags checking.
 */
#include "pd_driver.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>

#define CHECK_ERR(call, e)                                                    \
	do {                                                                  \
		errno = 0;                                                    \
		CHECK_EQ((call), -1);                                         \
		CHECK_EQ(errno, (e));                                         \
	} while (0)

TEST(pd_linux_errno_values)
{
	struct pdt t;
	pdt_open(&t, "");
	void *u = t.ifc.userdata;
	CHECK_ERR(t.ifc.socket(u, AF_INET6, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERR(t.ifc.socket(u, AF_INET, SOCK_DGRAM, 0), EPROTONOSUPPORT);
	int fd = t.ifc.socket(u, AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	char b[4] = "abc";
	CHECK_ERR(t.ifc.write(u, fd, b, 3), EPIPE);   /* never connected */
	CHECK_ERR(t.ifc.read(u, fd, b, 3), ENOTCONN);
	CHECK_ERR(t.ifc.shutdown(u, fd, SHUT_WR), ENOTCONN);
	CHECK_ERR(t.ifc.accept(u, fd, NULL, NULL), EINVAL); /* not listening */
	int v = 1;
	CHECK_ERR(t.ifc.setsockopt(u, fd, SOL_SOCKET, SO_PRIORITY, &v, sizeof(v)), ENOPROTOOPT);
	CHECK_ERR(t.ifc.setsockopt(u, fd, IPPROTO_TCP, TCP_FASTOPEN, &v, sizeof(v)),
		  ENOPROTOOPT);
	struct sockaddr_in a = pdt_addr(0x0a000001u, 80); /* not our address */
	CHECK_ERR(t.ifc.bind(u, fd, (struct sockaddr *)&a, sizeof(a)), EADDRNOTAVAIL);
	CHECK_ERR(t.ifc.bind(u, fd, (struct sockaddr *)&a, 4), EINVAL);
	CHECK_ERR(t.ifc.close(u, 1000), EBADF);
	CHECK_ERR(t.ifc.pipe(u, (int[2]){0, 0}), ENOSYS);
	CHECK_EQ(t.ifc.close(u, fd), 0);
	CHECK_ERR(t.ifc.close(u, fd), EBADF);
	pdt_close(&t);
}

TEST(pd_options_and_flags)
{
	struct pdt t;
	pdt_open(&t, "rcvbuf=65536");
	void *u = t.ifc.userdata;
	int fd = t.ifc.socket(u, AF_INET, SOCK_STREAM, 0);
	int v = 0;
	socklen_t len = sizeof(v);
	REQUIRE_EQ(t.ifc.getsockopt(u, fd, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
	CHECK_EQ(v, 65536);
	CHECK_EQ(len, sizeof(int));
	v = 1;
	CHECK_EQ(t.ifc.setsockopt(u, fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), 0);
	v = 0;
	REQUIRE_EQ(t.ifc.getsockopt(u, fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(t.ifc.fcntl(u, fd, F_GETFL), O_RDWR);
	CHECK_EQ(t.ifc.fcntl(u, fd, F_SETFL, O_RDWR | O_NONBLOCK), 0);
	CHECK_EQ(t.ifc.fcntl(u, fd, F_GETFL), O_RDWR | O_NONBLOCK);
	REQUIRE_EQ(t.ifc.listen(u, fd, 1), 0);
	errno = 0;
	CHECK_EQ(t.ifc.accept(u, fd, NULL, NULL), -1); /* non-blocking: at once */
	CHECK_EQ(errno, EAGAIN);
	t.ifc.close(u, fd);
	pdt_close(&t);

	int (*check)(const char *, char *, size_t);
	pdt_open(&t, "");
	*(void **)&check = dlsym(t.dl, "utcp_packetdrill_check_flags");
	REQUIRE(check != NULL);
	char err[128];
	CHECK_EQ(check("msl=1s,rto_initial=300ms,rto_min=1000us,delack=0ms,cc=reno,"
		       "rcvbuf=64k,local_ip=10.1.2.3",
		       err, sizeof(err)),
		 0);
	CHECK_EQ(check("rto_min=200", err, sizeof(err)), -EINVAL); /* needs a unit */
	CHECK_EQ(check("bogus=1", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "bogus") != NULL);
	CHECK_EQ(check("local_ip=300.1.1.1", err, sizeof(err)), -EINVAL);
	pdt_close(&t);
}

/* poll's timeout runs on the virtual clock; readiness maps to Linux's bits. */
TEST(pd_poll_and_epoll)
{
	struct pdt t;
	pdt_open(&t, "");
	void *u = t.ifc.userdata;
	int lfd = t.ifc.socket(u, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = pdt_addr(PDT_LOCAL, 8080);
	REQUIRE_EQ(t.ifc.bind(u, lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	REQUIRE_EQ(t.ifc.listen(u, lfd, 1), 0);
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	long long t1 = pdt_now(&t);
	CHECK_EQ(t.ifc.poll(u, &p, 1, 100), 0);
	CHECK_EQ(pdt_now(&t), t1 + 100 * PDT_MS + 1);

	int ep = t.ifc.epoll_create(u, 1);
	REQUIRE(ep >= 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
	CHECK_EQ(t.ifc.epoll_ctl(u, ep, EPOLL_CTL_ADD, lfd, &ev), 0);
	errno = 0;
	CHECK_EQ(t.ifc.epoll_ctl(u, ep, EPOLL_CTL_ADD, lfd, &ev), -1);
	CHECK_EQ(errno, EEXIST);
	struct epoll_event out[4];
	CHECK_EQ(t.ifc.epoll_wait(u, ep, out, 4, 0), 0);

	pdt_inject(&t, &(struct pdt_seg){.flags = UTCP_TH_SYN});
	CHECK(pdt_expect(&t, -1, &(struct pdt_seg){.flags = UTCP_TH_SYN | UTCP_TH_ACK, .ack = 1},
			 NULL));
	pdt_inject(&t, &(struct pdt_seg){.flags = UTCP_TH_ACK, .seq = 1, .ack = 1});
	CHECK_EQ(t.ifc.poll(u, &p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK_EQ(t.ifc.epoll_wait(u, ep, out, 4, 0), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, 7);
	int c = t.ifc.accept(u, lfd, NULL, NULL);
	REQUIRE(c >= 0);
	CHECK_EQ(t.ifc.epoll_wait(u, ep, out, 4, 0), 0);

	/* Edge-triggered: once per change, even while data stays unread. */
	ev = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.u64 = 9};
	CHECK_EQ(t.ifc.epoll_ctl(u, ep, EPOLL_CTL_ADD, c, &ev), 0);
	pdt_inject(&t, &(struct pdt_seg){.flags = UTCP_TH_ACK, .seq = 1, .ack = 1, .len = 10});
	CHECK_EQ(t.ifc.epoll_wait(u, ep, out, 4, 0), 1);
	CHECK_EQ(out[0].data.u64, 9);
	CHECK_EQ(t.ifc.epoll_wait(u, ep, out, 4, 0), 0);
	pdt_inject(&t, &(struct pdt_seg){.flags = UTCP_TH_ACK, .seq = 11, .ack = 1, .len = 10});
	CHECK_EQ(t.ifc.epoll_wait(u, ep, out, 4, 0), 1);
	struct pollfd pc = {.fd = c, .events = POLLIN | POLLOUT};
	CHECK_EQ(t.ifc.poll(u, &pc, 1, 0), 1);
	CHECK_EQ(pc.revents, POLLIN | POLLOUT);
	t.ifc.close(u, c);
	t.ifc.close(u, ep);
	t.ifc.close(u, lfd);
	pdt_close(&t);
}
