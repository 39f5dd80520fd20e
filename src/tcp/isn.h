/*
 * Initial sequence numbers, RFC 9293 section 3.4.1: ISN = M + F(four-tuple,
 * secret), M a clock ticking every 4 microseconds (MUST-8), F a keyed
 * pseudo-random function outsiders cannot compute (SHLD-1, MUST-9).
 */
#ifndef UTCP_TCP_ISN_H
#define UTCP_TCP_ISN_H

#include "utcp/types.h"

uint32_t tcp_isn(const uint8_t secret[16], uint32_t laddr, uint16_t lport,
		 uint32_t raddr, uint16_t rport, utcp_time_us now);

/* The offset added to a connection's timestamp clock (RFC 7323 section 7.1:
 * a random offset per connection, so TSval tells outsiders nothing about
 * the host's clock), from the same keyed hash with another key. */
uint32_t tcp_ts_offset(const uint8_t secret[16], uint32_t laddr, uint16_t lport,
		       uint32_t raddr, uint16_t rport);

#endif
