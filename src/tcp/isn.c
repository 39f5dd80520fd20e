/* Initial sequence numbers (RFC 9293 3.4.1); see isn.h. */
#include "tcp/isn.h"

#include "util/siphash.h"
#include "wire/bytes.h"

/* The keyed hash of a four-tuple; `tag` separates its uses. */
static uint64_t tuple_prf(const uint8_t secret[16], uint32_t laddr, uint16_t lport,
			  uint32_t raddr, uint16_t rport, uint8_t tag)
{
	uint8_t tuple[13];
	store_be32(tuple, laddr);
	store_be16(tuple + 4, lport);
	store_be32(tuple + 6, raddr);
	store_be16(tuple + 10, rport);
	tuple[12] = tag;
	return siphash24(secret, tuple, sizeof(tuple));
}

uint32_t tcp_isn(const uint8_t secret[16], uint32_t laddr, uint16_t lport,
		 uint32_t raddr, uint16_t rport, utcp_time_us now)
{
	uint32_t f = (uint32_t)tuple_prf(secret, laddr, lport, raddr, rport, 0);
	return (uint32_t)(now / 4) + f;
}

uint32_t tcp_ts_offset(const uint8_t secret[16], uint32_t laddr, uint16_t lport,
		       uint32_t raddr, uint16_t rport)
{
	return (uint32_t)tuple_prf(secret, laddr, lport, raddr, rport, 1);
}
