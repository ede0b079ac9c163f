#pragma once

#include <rte_log.h>

extern int c10m_logtype;
#define RTE_LOGTYPE_C10M c10m_logtype

// C10M_LOG(INFO, "port %u up", id): "C10M: port 0 up" on the EAL log stream (stderr).
// Change the level with the EAL option --log-level=c10m:debug.
#define C10M_LOG(level, fmt, ...) RTE_LOG(level, C10M, fmt "\n" __VA_OPT__(, ) __VA_ARGS__)
