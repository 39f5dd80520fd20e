/*
 * Scripted exchanges through libutcp_packetdrill.so's function table, as
 * packetdrill would play them: handshake, data, close, RST to a closed
 * port, retransmission after the RTO. Times are exact: the adapter's clock
 * is virtual.
 */
#include "pd_driver.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const uint8_t PA = UTCP_TH_PSH | UTCP_TH_ACK;
static const uint8_t A = UTCP_TH_ACK;
static const uint8_t FA = UTCP_TH_FIN | UTCP_TH_ACK;

/* Descriptors are the kernel's: the lowest free ones, as a script's
 * `socket(...) = 3` expects. */
TEST(pd_handshake_passive)
{
	int probe1 = dup(0), probe2 = dup(0);
	close(probe1);
	close(probe2);
	struct pdt t;
	pdt_open(&t, "");
	void *u = t.ifc.userdata;
	int lfd, c = pdt_passive_open(&t, &lfd);
	CHECK_EQ(lfd, probe1);
	CHECK_EQ(c, probe2);
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	REQUIRE_EQ(t.ifc.getsockopt(u, c, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	CHECK_EQ(ti.tcpi_state, 1); /* TCP_ESTABLISHED */
	CHECK_EQ(ti.tcpi_snd_mss, 1000);
	REQUIRE_EQ(t.ifc.getsockopt(u, lfd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	CHECK_EQ(ti.tcpi_state, 10); /* TCP_LISTEN */
	CHECK_EQ(t.ifc.close(u, lfd), 0);
	CHECK_EQ(t.ifc.close(u, c), 0);
	pdt_close(&t);
}

/* Data both ways; the peer's data is ACKed by the delayed-ACK timer,
 * exactly 40 ms later and not before. */
TEST(pd_data_exchange)
{
	struct pdt t;
	pdt_open(&t, "delack=40ms");
	void *u = t.ifc.userdata;
	int lfd, c = pdt_passive_open(&t, &lfd);
	char buf[2000];
	memset(buf, 'x', sizeof(buf));
	long long t1 = pdt_now(&t);
	CHECK_EQ(t.ifc.write(u, c, buf, 1000), 1000);
	CHECK(pdt_expect(&t, t1, &(struct pdt_seg){.flags = PA, .seq = 1, .ack = 1, .len = 1000},
			 NULL));
	pdt_inject(&t, &(struct pdt_seg){.flags = A, .seq = 1, .ack = 1001});
	pdt_inject(&t, &(struct pdt_seg){.flags = PA, .seq = 1, .ack = 1001, .len = 100});
	CHECK(pdt_expect(&t, t1 + 40 * PDT_MS,
			 &(struct pdt_seg){.flags = A, .seq = 1001, .ack = 101}, NULL));
	int avail = -1;
	CHECK_EQ(t.ifc.ioctl(u, c, FIONREAD, &avail), 0);
	CHECK_EQ(avail, 100);
	CHECK_EQ(t.ifc.read(u, c, buf, sizeof(buf)), 100);
	CHECK(buf[0] == 'a' && buf[25] == 'z' && buf[26] == 'a');
	errno = 0;
	CHECK_EQ(t.ifc.recv(u, c, buf, sizeof(buf), MSG_DONTWAIT), -1);
	CHECK_EQ(errno, EAGAIN);
	t.ifc.close(u, c);
	t.ifc.close(u, lfd);
	pdt_close(&t);
}

/* The peer closes first: ACK of its FIN, read() sees the end, our FIN,
 * its ACK; then the connection is gone and nothing more is sent. */
TEST(pd_close_passive)
{
	struct pdt t;
	pdt_open(&t, "");
	void *u = t.ifc.userdata;
	int lfd, c = pdt_passive_open(&t, &lfd);
	long long t1 = pdt_now(&t);
	pdt_inject(&t, &(struct pdt_seg){.flags = FA, .seq = 1, .ack = 1});
	CHECK(pdt_expect(&t, t1, &(struct pdt_seg){.flags = A, .seq = 1, .ack = 2}, NULL));
	char b[10];
	CHECK_EQ(t.ifc.read(u, c, b, sizeof(b)), 0);
	CHECK_EQ(t.ifc.close(u, c), 0);
	CHECK(pdt_expect(&t, t1, &(struct pdt_seg){.flags = FA, .seq = 1, .ack = 2}, NULL));
	pdt_inject(&t, &(struct pdt_seg){.flags = A, .seq = 2, .ack = 2});
	CHECK(pdt_expect_nothing(&t));
	t.ifc.close(u, lfd);
	pdt_close(&t);
}

/* We close first: FIN, its ACK, its FIN, our ACK; TIME_WAIT (2 MSL)
 * ends without a segment. */
TEST(pd_close_active)
{
	struct pdt t;
	pdt_open(&t, "msl=1s");
	void *u = t.ifc.userdata;
	int lfd, c = pdt_passive_open(&t, &lfd);
	long long t1 = pdt_now(&t);
	CHECK_EQ(t.ifc.close(u, c), 0);
	CHECK(pdt_expect(&t, t1, &(struct pdt_seg){.flags = FA, .seq = 1, .ack = 1}, NULL));
	pdt_inject(&t, &(struct pdt_seg){.flags = A, .seq = 1, .ack = 2});
	pdt_sleep_until(&t, t1 + 10 * PDT_MS);
	pdt_inject(&t, &(struct pdt_seg){.flags = FA, .seq = 1, .ack = 2});
	CHECK(pdt_expect(&t, t1 + 10 * PDT_MS, &(struct pdt_seg){.flags = A, .seq = 2, .ack = 2},
			 NULL));
	CHECK(pdt_expect_nothing(&t));
	t.ifc.close(u, lfd);
	pdt_close(&t);
}

/* RFC 9293 3.10.7.1: no connection. A segment without ACK gets
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; one with ACK gets
 * <SEQ=SEG.ACK><CTL=RST>; a RST gets nothing. */
TEST(pd_rst_to_closed_port)
{
	struct pdt t;
	pdt_open(&t, "");
	t.lport = 9;
	pdt_inject(&t, &(struct pdt_seg){.flags = UTCP_TH_SYN, .len = 3});
	CHECK(pdt_expect(&t, 0, &(struct pdt_seg){.flags = UTCP_TH_RST | A, .ack = 4}, NULL));
	pdt_inject(&t, &(struct pdt_seg){.flags = A, .seq = 1, .ack = 12345});
	CHECK(pdt_expect(&t, 0, &(struct pdt_seg){.flags = UTCP_TH_RST, .seq = 12345}, NULL));
	pdt_inject(&t, &(struct pdt_seg){.flags = UTCP_TH_RST, .seq = 1});
	CHECK(pdt_expect_nothing(&t));
	pdt_close(&t);
}

/* RFC 6298: the SYN again after the initial RTO; data again after the
 * RTO (the minimum here: the handshake measured no delay), then after
 * twice that (5.5, back off). Nothing leaves before its time. */
TEST(pd_retransmission_after_rto)
{
	struct pdt t;
	pdt_open(&t, "rto_initial=1s,rto_min=200ms");
	void *u = t.ifc.userdata;
	int fd = t.ifc.socket(u, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
	REQUIRE(fd >= 0);
	struct sockaddr_in a = pdt_addr(PDT_REMOTE, 8080);
	t.rport = 8080;
	long long t1 = pdt_now(&t);
	errno = 0;
	CHECK_EQ(t.ifc.connect(u, fd, (struct sockaddr *)&a, sizeof(a)), -1);
	CHECK_EQ(errno, EINPROGRESS);
	struct pdt_seg syn = {.flags = UTCP_TH_SYN};
	CHECK(pdt_expect(&t, t1, &syn, NULL));
	CHECK(pdt_expect(&t, t1 + 1000 * PDT_MS, &syn, NULL));
	/* The peer answers the second SYN at once. */
	pdt_inject(&t, &(struct pdt_seg){.flags = UTCP_TH_SYN | A, .ack = 1});
	CHECK(pdt_expect(&t, t1 + 1000 * PDT_MS, &(struct pdt_seg){.flags = A, .seq = 1, .ack = 1},
			 NULL));
	CHECK_EQ(t.ifc.close(u, fd), 0);
	CHECK(pdt_expect(&t, -1, &(struct pdt_seg){.flags = FA, .seq = 1, .ack = 1}, NULL));
	pdt_close(&t);

	pdt_open(&t, "rto_min=200ms");
	u = t.ifc.userdata;
	int lfd, c = pdt_passive_open(&t, &lfd);
	long long t2 = pdt_now(&t);
	char buf[100] = {0};
	CHECK_EQ(t.ifc.write(u, c, buf, sizeof(buf)), 100);
	struct pdt_seg data = {.flags = PA, .seq = 1, .ack = 1, .len = 100};
	CHECK(pdt_expect(&t, t2, &data, NULL));
	CHECK(pdt_expect(&t, t2 + 200 * PDT_MS, &data, NULL));
	CHECK(pdt_expect(&t, t2 + 600 * PDT_MS, &data, NULL));
	pdt_inject(&t, &(struct pdt_seg){.flags = A, .seq = 1, .ack = 101});
	t.ifc.close(u, lfd);
	t.ifc.close(u, c);
	pdt_close(&t);
}
