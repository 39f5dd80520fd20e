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

#endif
