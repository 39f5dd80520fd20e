/*
 * Descriptors. Each one is a real descriptor of the process, a memfd held
 * open for as long as the socket (or epoll instance) lives, so that:
 *  - numbers are the kernel's (the lowest free one: a script's
 *    `socket(...) = 3` holds);
 *  - packetdrill, which at the end of a script close(2)s the descriptors it
 *    still knows of, closes a real descriptor and does not die on EBADF.
 * A memfd has an inode of its own, so at teardown we close a placeholder
 * only if the number still names the very file we opened.
 */
#define _GNU_SOURCE
#include "pd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int grow(struct pd *pd, int fd)
{
	if (fd < pd->nfiles)
		return 0;
	int n = pd->nfiles ? pd->nfiles : 16;
	while (n <= fd)
		n *= 2;
	struct pd_file *f = realloc(pd->files, (size_t)n * sizeof(*f));
	if (!f)
		return -ENOMEM;
	memset(f + pd->nfiles, 0, (size_t)(n - pd->nfiles) * sizeof(*f));
	pd->files = f;
	pd->nfiles = n;
	return 0;
}

int pd_fd_new(struct pd *pd, enum pd_kind kind)
{
	int fd = memfd_create(kind == PD_EPOLL ? "utcp-epoll" : "utcp-socket", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || grow(pd, fd) != 0) {
		close(fd);
		return -ENOMEM;
	}
	struct pd_file *f = &pd->files[fd];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->ufd = -1;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	if (kind == PD_EPOLL) {
		f->ep = calloc(1, sizeof(*f->ep));
		if (!f->ep) {
			f->kind = PD_NONE;
			close(fd);
			return -ENOMEM;
		}
	}
	return fd;
}

struct pd_file *pd_fd_get(struct pd *pd, int fd)
{
	if (fd < 0 || fd >= pd->nfiles || pd->files[fd].kind == PD_NONE)
		return NULL;
	return &pd->files[fd];
}

int pd_sock(struct pd *pd, int fd, int *ufd)
{
	struct pd_file *f = pd_fd_get(pd, fd);
	if (!f)
		return -EBADF;
	if (f->kind != PD_SOCKET)
		return -ENOTSOCK;
	*ufd = f->ufd;
	return 0;
}

int pd_fd_of_ufd(const struct pd *pd, int ufd)
{
	for (int i = 0; i < pd->nfiles; i++)
		if (pd->files[i].kind == PD_SOCKET && pd->files[i].ufd == ufd)
			return i;
	return -1;
}

/* Is fd still the placeholder f? (packetdrill may have closed it, and
 * the number may name something else since.) */
static bool still_ours(int fd, const struct pd_file *f)
{
	struct stat st;
	return fstat(fd, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino;
}

void pd_fd_release(struct pd *pd, int fd)
{
	struct pd_file *f = pd_fd_get(pd, fd);
	if (!f)
		return;
	if (f->ep)
		pd_epoll_free(f->ep);
	f->ep = NULL;
	f->kind = PD_NONE;
	pd_epoll_forget(pd, fd);
	if (still_ours(fd, f))
		close(fd);
	memset(f, 0, sizeof(*f));
	f->ufd = -1;
}

void pd_fd_release_all(struct pd *pd)
{
	for (int i = 0; i < pd->nfiles; i++)
		pd_fd_release(pd, i);
	free(pd->files);
	pd->files = NULL;
	pd->nfiles = 0;
}
