/*
 * utcp: a TCP/IP stack in user space that shows what it is doing.
 * Include this for the whole public API.
 */
#ifndef UTCP_UTCP_H
#define UTCP_UTCP_H

#include "utcp/pcap.h"
#include "utcp/sim.h"
#include "utcp/socket.h"
#include "utcp/stack.h"
#include "utcp/trace.h"
#include "utcp/types.h"

#endif
