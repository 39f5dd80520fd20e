/*
 * Internals shared by the files that process an incoming segment
 * (input.c, syn_sent.c, ack.c) and by output.c for ACK scheduling.
 */
#ifndef UTCP_TCP_INPUT_H
#define UTCP_TCP_INPUT_H

#include "tcp/conn.h"

/* What is left of a segment as the steps trim it. */
struct seg_view {
	uint32_t seq;
	const uint8_t *data;
	uint32_t len;
	bool syn, fin;
	bool syn_bit; /* the SYN flag, even once trimming took its number */
};

/* RFC 9293 3.10.7.3: a segment in SYN_SENT. */
void tcp_input_syn_sent(struct tcp_conn *c, const struct tcp_seg *seg, utcp_time_us now);

/* The ACK field of an acceptable segment in a synchronized state: new
 * data acknowledged, duplicate ACKs, window update (ack.c). */
void tcp_process_ack(struct tcp_conn *c, const struct tcp_seg *seg,
		     const struct seg_view *v, utcp_time_us now);

/* Our SYN has been acknowledged at `ack`: take an RTT sample from it when
 * it was sent only once (Karn), stop the SYN's retransmission timer. */
void tcp_take_syn_ack_rtt(struct tcp_conn *c, uint32_t ack, utcp_time_us now);

/* The handshake is complete: start congestion control, go ESTABLISHED
 * (or on to FIN_WAIT_1 when the application already shut down writing). */
void tcp_establish(struct tcp_conn *c, utcp_time_us now);

/* FIN_WAIT_1 -> FIN_WAIT_2; an orphan gets the FIN_WAIT_2 timer. */
void tcp_enter_fin_wait_2(struct tcp_conn *c, utcp_time_us now);

/* In-order data of len bytes arrived: ACK now or arm the delayed-ACK
 * timer (RFC 9293 3.8.6.3, RFC 5681 4.2). */
void tcp_schedule_ack(struct tcp_conn *c, uint32_t len, utcp_time_us now);

#endif
