// The pool behind mino_parallel_run. A job is one 64-bit claim word: its
// generation (32 bits), its chunk count (16 bits) and the next unclaimed chunk
// (16 bits). Every thread, the caller included, takes chunks by compare-and-swap
// on that word, so a worker that wakes late or holds a stale view can take no
// chunk but the current job's, and the caller never waits for a worker that has
// not started: it runs whatever is unclaimed itself and waits only for chunks
// that other threads are running. A job's function and context are read after
// a successful claim, when the job cannot end before that chunk is done.

#include "KernelThreads.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum { MAX_WORKERS = 63, MAX_CHUNKS = 0xFFFF };

/// How long a worker keeps checking for the next job before it sleeps.
static const long SPIN_NANOSECONDS = 100000;

static struct {
    pthread_mutex_t lock;  // guards sleeping and starting workers
    pthread_cond_t wake;
    int workers;
    atomic_flag busy;  // held by the thread whose job runs

    _Atomic uint64_t claim;
    _Atomic long done;
    MinoChunkFunction function;
    void *context;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, ATOMIC_FLAG_INIT};

static _Thread_local bool insideJob = false;

static inline uint32_t generationOf(uint64_t claim) { return (uint32_t)(claim >> 32); }
static inline long chunksOf(uint64_t claim) { return (long)((claim >> 16) & MAX_CHUNKS); }
static inline long nextOf(uint64_t claim) { return (long)(claim & MAX_CHUNKS); }

static long nanosecondsNow(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

/// Takes and runs chunks of generation `generation` until none is left.
static void runChunks(uint32_t generation) {
    uint64_t claim = atomic_load_explicit(&pool.claim, memory_order_acquire);
    for (;;) {
        if (generationOf(claim) != generation || nextOf(claim) >= chunksOf(claim)) return;
        if (!atomic_compare_exchange_weak_explicit(&pool.claim, &claim, claim + 1, memory_order_acquire,
                                                   memory_order_acquire))
            continue;
        pool.function(pool.context, nextOf(claim));
        atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
        claim = atomic_load_explicit(&pool.claim, memory_order_acquire);
    }
}

static void *workerMain(void *unused) {
    (void)unused;
    insideJob = true;  // a job's chunk that starts a loop of its own runs it serially
    uint32_t seen = generationOf(atomic_load_explicit(&pool.claim, memory_order_acquire));
    for (;;) {
        // Spin (yielding the core to whoever wants it) for the next job, then sleep.
        long start = nanosecondsNow();
        uint32_t now;
        while ((now = generationOf(atomic_load_explicit(&pool.claim, memory_order_acquire))) == seen) {
            if (nanosecondsNow() - start > SPIN_NANOSECONDS) {
                pthread_mutex_lock(&pool.lock);
                while ((now = generationOf(atomic_load_explicit(&pool.claim, memory_order_acquire))) == seen)
                    pthread_cond_wait(&pool.wake, &pool.lock);
                pthread_mutex_unlock(&pool.lock);
                break;
            }
            sched_yield();
        }
        seen = now;
        runChunks(now);
    }
    return NULL;
}

/// Starts workers until there are `count` (or as many as the system gives).
static void ensureWorkers(int count) {
    if (count > MAX_WORKERS) count = MAX_WORKERS;
    if (pool.workers >= count) return;
    pthread_mutex_lock(&pool.lock);
    while (pool.workers < count) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attributes, workerMain, NULL);
        pthread_attr_destroy(&attributes);
        if (failed) break;
        pool.workers += 1;
    }
    pthread_mutex_unlock(&pool.lock);
}

void mino_parallel_run(long chunks, MinoChunkFunction function, void *context, int threads) {
    if (chunks <= 0) return;
    if (threads <= 1 || chunks == 1 || chunks > MAX_CHUNKS || insideJob ||
        atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
        for (long i = 0; i < chunks; i++) function(context, i);
        return;
    }
    // Workers beyond the first `threads − 1` may still take chunks: the chunk count, not
    // the worker count, bounds how many threads run at once.
    ensureWorkers(threads - 1);
    pool.function = function;
    pool.context = context;
    atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
    uint32_t generation = generationOf(atomic_load_explicit(&pool.claim, memory_order_relaxed)) + 1;
    uint64_t claim = ((uint64_t)generation << 32) | ((uint64_t)chunks << 16);
    // Publish the job, and wake the workers that went to sleep.
    pthread_mutex_lock(&pool.lock);
    atomic_store_explicit(&pool.claim, claim, memory_order_release);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);

    insideJob = true;
    runChunks(generation);
    insideJob = false;
    while (atomic_load_explicit(&pool.done, memory_order_acquire) < chunks) sched_yield();
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
}
