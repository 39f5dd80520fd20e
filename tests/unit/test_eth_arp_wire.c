/* Unit tests of Ethernet II (RFC 894) and ARP (RFC 826) parse and emit. */
#include "../harness.h"

#include "utcp/types.h"
#include "wire/arp.h"
#include "wire/eth.h"

/* A request "who has 10.0.0.2? tell 10.0.0.1" as Linux sends it, from
 * 7a:05:7a:4d:7b:6c, padded to 60 bytes. */
static const uint8_t who_has[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7a, 0x05, 0x7a, 0x4d, 0x7b, 0x6c, 0x08, 0x06,
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x7a, 0x05, 0x7a, 0x4d, 0x7b, 0x6c,
	0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02};

TEST(wire_eth_parse_and_emit_round_trip)
{
	struct eth_hdr h;
	REQUIRE_EQ(eth_parse(who_has, sizeof(who_has), &h), ETH_OK);
	CHECK_EQ(h.type, ETH_TYPE_ARP);
	CHECK(memcmp(h.dst, eth_broadcast, 6) == 0);
	CHECK_EQ(h.src[0], 0x7a);
	CHECK_EQ(h.src[5], 0x6c);
	uint8_t out[ETH_HDR_LEN];
	eth_emit(out, &h);
	CHECK(memcmp(out, who_has, ETH_HDR_LEN) == 0);
}

TEST(wire_eth_parse_short)
{
	struct eth_hdr h;
	for (size_t len = 0; len < ETH_HDR_LEN; len++)
		CHECK_EQ(eth_parse(who_has, len, &h), ETH_ERR_SHORT);
	CHECK_EQ(eth_parse(who_has, ETH_HDR_LEN, &h), ETH_OK);
}

TEST(wire_eth_address_classes_and_text)
{
	const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1}, zero[6] = {0};
	const uint8_t ours[6] = {0x02, 0x75, 0x0a, 0x00, 0x00, 0x02};
	CHECK(eth_addr_is_group(eth_broadcast));
	CHECK(eth_addr_is_group(mcast));
	CHECK(!eth_addr_is_group(ours));
	CHECK(eth_addr_is_zero(zero));
	CHECK(!eth_addr_is_zero(ours));
	char buf[18];
	CHECK_STR(eth_addr_format(ours, buf, sizeof(buf)), "02:75:0a:00:00:02");
	uint8_t back[6];
	REQUIRE_EQ(eth_addr_parse("02:75:0A:00:00:02", back), 0);
	CHECK(memcmp(back, ours, 6) == 0);
	CHECK_EQ(eth_addr_parse("02:75:0a:00:00", back), -1);
	CHECK_EQ(eth_addr_parse("02:75:0a:00:00:02:", back), -1);
	CHECK_EQ(eth_addr_parse("02-75-0a-00-00-02", back), -1);
	CHECK_EQ(eth_addr_parse("g2:75:0a:00:00:02", back), -1);
}

TEST(wire_arp_parse_request)
{
	struct arp_pkt a;
	REQUIRE_EQ(arp_parse(who_has + ETH_HDR_LEN, sizeof(who_has) - ETH_HDR_LEN, &a), ARP_OK);
	CHECK_EQ(a.op, ARP_OP_REQUEST);
	CHECK_EQ(a.spa, utcp_ipv4(10, 0, 0, 1));
	CHECK_EQ(a.tpa, utcp_ipv4(10, 0, 0, 2));
	CHECK_EQ(a.sha[0], 0x7a);
	CHECK(eth_addr_is_zero(a.tha));
	uint8_t out[ARP_LEN];
	arp_emit(out, &a);
	CHECK(memcmp(out, who_has + ETH_HDR_LEN, ARP_LEN) == 0);
}

TEST(wire_arp_parse_rejects_what_is_not_ethernet_ipv4)
{
	struct arp_pkt a;
	const uint8_t *arp = who_has + ETH_HDR_LEN;
	for (size_t len = 0; len < ARP_LEN; len++)
		CHECK_EQ(arp_parse(arp, len, &a), ARP_ERR_SHORT);
	static const struct {
		size_t off;
		uint8_t val;
		enum arp_parse_result want;
	} spoil[] = {
		{1, 6, ARP_ERR_FORMAT},   /* hardware type 6 (IEEE 802) */
		{2, 0x86, ARP_ERR_FORMAT}, /* protocol 0x86dd */
		{4, 8, ARP_ERR_FORMAT},   /* hardware length 8 */
		{5, 16, ARP_ERR_FORMAT},  /* protocol length 16 */
		{7, 3, ARP_ERR_OP},       /* RARP request */
		{7, 0, ARP_ERR_OP},
	};
	for (size_t i = 0; i < sizeof(spoil) / sizeof(spoil[0]); i++) {
		uint8_t p[ARP_LEN];
		memcpy(p, arp, ARP_LEN);
		p[spoil[i].off] = spoil[i].val;
		CHECK_EQ(arp_parse(p, sizeof(p), &a), spoil[i].want);
	}
}
