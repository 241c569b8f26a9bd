#ifndef FARMWATCH_CPREFETCH_H
#define FARMWATCH_CPREFETCH_H

/// Asks the CPU to start loading the cache line at `address` for reading, without waiting
/// for it (x86 PREFETCHT0, AArch64 PRFM). Swift has no way to say this itself.
static inline void farmwatch_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
