#ifndef TOKENBENCH_CHIREDIS_H
#define TOKENBENCH_CHIREDIS_H
#include <hiredis/hiredis.h>
#endif
