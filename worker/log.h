/*
 * Log lines from plugin code (print, warn) to the supervisor: each line is
 * cut to LOG_MAX_LINE bytes and a token bucket bounds the rate, so that a
 * print flood costs the supervisor nothing and never stalls a reply.
 */
#ifndef LUAWARD_WORKER_LOG_H
#define LUAWARD_WORKER_LOG_H

#include <stddef.h>
#include <stdint.h>

#define LOG_MAX_LINE	1024

void	 log_configure(uint32_t lines_per_second, uint32_t burst);
void	 log_line(const char *text, size_t length);

/* CLOCK_MONOTONIC in milliseconds and microseconds (a vDSO call: no
 * syscall). */
uint64_t monotonic_ms(void);
uint64_t monotonic_us(void);

/* Tells the supervisor how many lines the rate limit dropped, if any, once
 * a call is over (the count otherwise rides on the next line). */
void	 log_report_dropped(void);

#endif
