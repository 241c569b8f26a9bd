// CPrefetch is header-only (its one function is static inline); SwiftPM needs one source file.
#include "CPrefetch.h"
