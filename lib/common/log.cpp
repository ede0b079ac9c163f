#include "common/log.hpp"

RTE_LOG_REGISTER(c10m_logtype, c10m, INFO);
