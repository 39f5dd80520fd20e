/* Ethernet II header parse and emit; see eth.h. */
#include "wire/eth.h"

#include "wire/bytes.h"

#include <stdio.h>
#include <string.h>

const uint8_t eth_broadcast[ETH_ADDR_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

enum eth_parse_result eth_parse(const uint8_t *p, size_t len, struct eth_hdr *h)
{
	if (len < ETH_HDR_LEN)
		return ETH_ERR_SHORT;
	memcpy(h->dst, p, ETH_ADDR_LEN);
	memcpy(h->src, p + ETH_ADDR_LEN, ETH_ADDR_LEN);
	h->type = load_be16(p + 12);
	return ETH_OK;
}

void eth_emit(uint8_t *p, const struct eth_hdr *h)
{
	memcpy(p, h->dst, ETH_ADDR_LEN);
	memcpy(p + ETH_ADDR_LEN, h->src, ETH_ADDR_LEN);
	store_be16(p + 12, h->type);
}

bool eth_addr_is_zero(const uint8_t *a)
{
	static const uint8_t zero[ETH_ADDR_LEN];
	return memcmp(a, zero, ETH_ADDR_LEN) == 0;
}

const char *eth_addr_format(const uint8_t *a, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
	return buf;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int eth_addr_parse(const char *text, uint8_t out[ETH_ADDR_LEN])
{
	for (int i = 0; i < ETH_ADDR_LEN; i++) {
		int hi = hex_digit(text[0]), lo = hex_digit(text[1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
		text += 2;
		if (i < ETH_ADDR_LEN - 1 && *text++ != ':')
			return -1;
	}
	return *text ? -1 : 0;
}
