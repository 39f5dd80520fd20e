/*
 * SACK (RFC 2018) and SACK-based loss recovery (RFC 6675); see sack.c.
 */
#ifndef UTCP_TCP_SACK_H
#define UTCP_TCP_SACK_H

#include "tcp/conn.h"

/* Add the SACK blocks of an incoming segment with cumulative ACK `ack` to
 * the scoreboard, and forget what `ack` covers. */
void tcp_sack_update(struct tcp_conn *c, const struct utcp_tcp_opts *o, uint32_t ack);

/* Every unSACKed octet below this sequence number is lost (IsLost). */
uint32_t tcp_sack_lost_edge(const struct tcp_conn *c);
bool tcp_sack_is_lost(const struct tcp_conn *c, uint32_t seq);

/* RFC 6675 SetPipe: octets still in flight. */
uint32_t tcp_sack_pipe(const struct tcp_conn *c);

/* RFC 6675 NextSeg: the first octet not yet retransmitted that is lost
 * (rule 1, lost_only) or merely unSACKed below SACKed data (rule 3), and
 * how much of the hole from there (at most max_len) to send. */
bool tcp_sack_next_hole(const struct tcp_conn *c, bool lost_only, uint32_t max_len,
			uint32_t *seq, uint32_t *len);

/* The SACK blocks our next ACK reports (at most max). Returns how many. */
unsigned tcp_sack_blocks(const struct tcp_conn *c, struct utcp_tcp_opts *o, unsigned max);

#endif
