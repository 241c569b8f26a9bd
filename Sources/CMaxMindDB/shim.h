#ifndef FARMWATCH_CMAXMINDDB_SHIM_H
#define FARMWATCH_CMAXMINDDB_SHIM_H
#include <maxminddb.h>
#endif
