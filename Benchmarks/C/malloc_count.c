// Counts allocations for the suite's "mallocs per round trip / per connection" figures. Built as
// a shared library and preloaded (LD_PRELOAD); the benchmark clients read bench_malloc_count()
// before and after the measured part. Forwards to glibc's own entry points, so it needs no dlsym
// (which itself allocates).
#define _GNU_SOURCE
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static long count;

long bench_malloc_count(void) { return __atomic_load_n(&count, __ATOMIC_RELAXED); }

static inline void counted(void) { __atomic_fetch_add(&count, 1, __ATOMIC_RELAXED); }

void *malloc(size_t size) { counted(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { counted(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { counted(); return __libc_realloc(p, size); }
void *memalign(size_t align, size_t size) { counted(); return __libc_memalign(align, size); }
void *aligned_alloc(size_t align, size_t size) { counted(); return __libc_memalign(align, size); }
int posix_memalign(void **out, size_t align, size_t size) {
    counted();
    void *p = __libc_memalign(align, size);
    if (!p) return 12;  // ENOMEM
    *out = p;
    return 0;
}
