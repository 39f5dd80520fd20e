/* Names of states, timers and congestion events, as traces and netstat
 * print them. */
#include "utcp/trace.h"

const char *utcp_state_name(enum utcp_tcp_state s)
{
	static const char *const names[UTCP_NUM_STATES] = {
		"CLOSED",     "LISTEN",     "SYN_SENT",   "SYN_RCVD",
		"ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
		"CLOSING",    "LAST_ACK",   "TIME_WAIT",
	};
	return (unsigned)s < UTCP_NUM_STATES ? names[s] : "?";
}

const char *utcp_timer_name(enum utcp_timer_kind k)
{
	static const char *const names[UTCP_TIMER_COUNT] = {
		"rtx", "persist", "delack", "keepalive", "time_wait", "fin_wait_2",
	};
	return (unsigned)k < UTCP_TIMER_COUNT ? names[k] : "?";
}

const char *utcp_cc_event_name(enum utcp_cc_event e)
{
	switch (e) {
	case UTCP_CC_INIT:
		return "init";
	case UTCP_CC_ACK:
		return "ack";
	case UTCP_CC_FAST_RETRANSMIT:
		return "fast_retransmit";
	case UTCP_CC_RECOVERY_DUPACK:
		return "recovery_dupack";
	case UTCP_CC_PARTIAL_ACK:
		return "partial_ack";
	case UTCP_CC_RECOVERY_EXIT:
		return "recovery_exit";
	case UTCP_CC_TIMEOUT:
		return "timeout";
	case UTCP_CC_IDLE_RESTART:
		return "idle_restart";
	case UTCP_CC_ECN_ECE:
		return "ecn_ece";
	}
	return "?";
}
