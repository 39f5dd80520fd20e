/*
 * The simulator's random numbers: splitmix64 (Steele, Lea and Flood) to
 * expand a seed, xoshiro256** (Blackman and Vigna) for the streams.
 *
 * Every consumer draws from its own stream, derived from (world seed,
 * stream id), so that the faults on one channel do not depend on how many
 * numbers another channel (or the application) has drawn.
 */
#ifndef UTCP_SIM_RNG_H
#define UTCP_SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

/* Stream ids: the world's own stream, one per channel, one per host secret. */
#define SIM_STREAM_WORLD	0u
#define SIM_STREAM_CHANNEL(id)	((1ull << 32) | (uint32_t)(id))
#define SIM_STREAM_SECRET(node) ((2ull << 32) | (uint32_t)(node))

/* xoshiro256** state; never all zero. */
struct sim_rng {
	uint64_t s[4];
};

/* Advance a splitmix64 state and return its next output. */
uint64_t splitmix64_next(uint64_t *state);

/* The splitmix64 state that starts stream `stream` of `seed`. */
uint64_t sim_stream_state(uint64_t seed, uint64_t stream);

/* Seed r for stream `stream` of `seed` (four splitmix64 outputs). */
void sim_rng_seed(struct sim_rng *r, uint64_t seed, uint64_t stream);

/* Next 64 random bits. */
uint64_t sim_rng_next(struct sim_rng *r);

/* A uniform double in [0, 1), from the top 53 bits of one draw. */
double sim_rng_unit(struct sim_rng *r);

/* True with probability p. Draws nothing when p <= 0, so a channel without
 * faults leaves its stream untouched. */
bool sim_rng_chance(struct sim_rng *r, double p);

#endif
