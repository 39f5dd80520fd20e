/*
 * splitmix64 and xoshiro256** for the simulator (see rng.h). Both are the
 * public-domain reference algorithms from https://prng.di.unimi.it/.
 */
#include "sim/rng.h"

uint64_t splitmix64_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t sim_stream_state(uint64_t seed, uint64_t stream)
{
	/* Hash the stream id first, so that streams of nearby ids start far
	 * apart in splitmix64's sequence rather than one step apart. */
	uint64_t h = stream;
	return seed ^ splitmix64_next(&h);
}

void sim_rng_seed(struct sim_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t st = sim_stream_state(seed, stream);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64_next(&st);
	/* splitmix64's output function is a bijection over consecutive
	 * states, so at most one of the four words can be zero. */
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double sim_rng_unit(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

bool sim_rng_chance(struct sim_rng *r, double p)
{
	if (!(p > 0))
		return false;
	return sim_rng_unit(r) < p;
}
