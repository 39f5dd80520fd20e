/*
 * Blocking calls as packetdrill makes them. A call the script expects to
 * block runs on a second thread while the main thread injects packets and
 * lets time pass; the call returns at the virtual time its answer came,
 * which the thread then reads with gettimeofday (packetdrill's
 * end_syscall). A blocking call on the main thread lets time pass itself.
 */
#include "pd_driver.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

struct blocked_accept {
	struct pdt *t;
	int lfd;
	pid_t tid;
	int fd;
	long long returned_at;
};

static void *accept_thread(void *arg)
{
	struct blocked_accept *b = arg;
	__atomic_store_n(&b->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	b->fd = b->t->ifc.accept(b->t->ifc.userdata, b->lfd, NULL, NULL);
	b->returned_at = pdt_now(b->t);
	return NULL;
}

/* As packetdrill does: the thread is asleep once /proc says 'S'. */
static void wait_until_sleeping(pid_t tid)
{
	char path[64], stat[512];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	for (int i = 0; i < 100000; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(stat, 1, sizeof(stat) - 1, f) : 0;
		if (f)
			fclose(f);
		stat[n] = '\0';
		const char *p = strrchr(stat, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return;
		sched_yield();
	}
}

TEST(pd_blocking_accept_on_second_thread)
{
	struct pdt t;
	pdt_open(&t, "");
	void *u = t.ifc.userdata;
	int lfd = t.ifc.socket(u, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = pdt_addr(0, 8080);
	REQUIRE_EQ(t.ifc.bind(u, lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	REQUIRE_EQ(t.ifc.listen(u, lfd, 1), 0);
	struct blocked_accept b = {.t = &t, .lfd = lfd, .fd = -2};
	pthread_t th;
	REQUIRE_EQ(pthread_create(&th, NULL, accept_thread, &b), 0);
	while (__atomic_load_n(&b.tid, __ATOMIC_SEQ_CST) == 0)
		sched_yield();
	wait_until_sleeping(b.tid);

	pdt_sleep_until(&t, 10 * PDT_MS);
	pdt_inject(&t, &(struct pdt_seg){.flags = UTCP_TH_SYN});
	CHECK(pdt_expect(&t, 10 * PDT_MS,
			 &(struct pdt_seg){.flags = UTCP_TH_SYN | UTCP_TH_ACK, .ack = 1}, NULL));
	pdt_sleep_until(&t, 20 * PDT_MS);
	pdt_inject(&t, &(struct pdt_seg){.flags = UTCP_TH_ACK, .seq = 1, .ack = 1});
	pdt_sleep_until(&t, 30 * PDT_MS); /* the main thread moves on at once */
	pthread_join(th, NULL);
	CHECK(b.fd >= 0);
	CHECK_EQ(b.returned_at, 20 * PDT_MS);
	t.ifc.close(u, b.fd);
	t.ifc.close(u, lfd);
	pdt_close(&t);
}

/* A blocking connect on the main thread: nobody will answer, so the call
 * itself lets time run through the SYN retransmissions to ETIMEDOUT. */
TEST(pd_blocking_connect_times_out_on_main_thread)
{
	struct pdt t;
	pdt_open(&t, "rto_initial=100ms,syn_retries=2");
	void *u = t.ifc.userdata;
	int fd = t.ifc.socket(u, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	struct sockaddr_in a = pdt_addr(PDT_REMOTE, 8080);
	errno = 0;
	CHECK_EQ(t.ifc.connect(u, fd, (struct sockaddr *)&a, sizeof(a)), -1);
	CHECK_EQ(errno, ETIMEDOUT);
	long long end = pdt_now(&t);
	struct pdt_seg syn = {.flags = UTCP_TH_SYN};
	CHECK(pdt_expect(&t, 0, &syn, NULL));
	CHECK(pdt_expect(&t, 100 * PDT_MS, &syn, NULL));
	CHECK(pdt_expect(&t, 300 * PDT_MS, &syn, NULL));
	CHECK(pdt_expect_nothing(&t));
	CHECK_EQ(end, 700 * PDT_MS + 1); /* + the clock read */
	t.ifc.close(u, fd);
	pdt_close(&t);
}

/* Nothing can ever make a blocking accept on the main thread succeed:
 * the adapter says EAGAIN rather than hang (a kernel would hang). */
TEST(pd_blocking_forever_on_main_thread)
{
	struct pdt t;
	pdt_open(&t, "");
	void *u = t.ifc.userdata;
	int lfd = t.ifc.socket(u, AF_INET, SOCK_STREAM, 0);
	REQUIRE_EQ(t.ifc.listen(u, lfd, 1), 0);
	errno = 0;
	CHECK_EQ(t.ifc.accept(u, lfd, NULL, NULL), -1);
	CHECK_EQ(errno, EAGAIN);
	t.ifc.close(u, lfd);
	pdt_close(&t);
}
