// The pool behind mino_parallel_run. A job is published by bumping `generation`;
// every participating worker claims chunk indices with one atomic add each until
// none is left, then acknowledges the job. The caller returns only after every
// participant has acknowledged, so no worker still reads a job's fields when the
// next job overwrites them, and no worker can miss a generation.

#include "KernelThreads.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

enum { MAX_WORKERS = 63 };

/// How long a worker keeps checking for the next job before it sleeps.
static const long SPIN_NANOSECONDS = 200000;

static struct {
    pthread_mutex_t lock;  // guards sleeping and the worker count
    pthread_cond_t wake;
    int workers;
    atomic_flag busy;  // held by the thread whose job runs

    _Atomic unsigned long generation;
    MinoChunkFunction function;
    void *context;
    long chunks;
    /// Workers that may take part in this job (the caller asked for fewer than exist).
    int participants;
    _Atomic long nextChunk;
    _Atomic int acknowledged;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, ATOMIC_FLAG_INIT};

static _Thread_local bool insideJob = false;

/// The generation each worker was started at: the next job it takes is the one after
/// (read when it starts, a worker created for a job that is then published at once
/// could otherwise take that job's generation for an old one and miss it).
static unsigned long startGeneration[MAX_WORKERS];

static long nanosecondsNow(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void runChunks(void) {
    long chunks = pool.chunks;
    for (;;) {
        long i = atomic_fetch_add_explicit(&pool.nextChunk, 1, memory_order_relaxed);
        if (i >= chunks) break;
        pool.function(pool.context, i);
    }
}

static void *workerMain(void *argument) {
    int index = (int)(long)argument;
    insideJob = true;  // a job's chunk that starts a loop of its own runs it serially
    unsigned long seen = startGeneration[index];
    for (;;) {
        // Spin (yielding the core to whoever wants it) for the next job, then sleep.
        long start = nanosecondsNow();
        unsigned long now;
        while ((now = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            if (nanosecondsNow() - start > SPIN_NANOSECONDS) {
                pthread_mutex_lock(&pool.lock);
                while ((now = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen)
                    pthread_cond_wait(&pool.wake, &pool.lock);
                pthread_mutex_unlock(&pool.lock);
                break;
            }
            sched_yield();
        }
        seen = now;
        if (index < pool.participants) {
            runChunks();
            atomic_fetch_add_explicit(&pool.acknowledged, 1, memory_order_release);
        }
    }
    return NULL;
}

/// Starts workers until there are `count` (or as many as the system gives).
static void ensureWorkers(int count) {
    if (count > MAX_WORKERS) count = MAX_WORKERS;
    pthread_mutex_lock(&pool.lock);
    while (pool.workers < count) {
        pthread_t thread;
        startGeneration[pool.workers] = atomic_load_explicit(&pool.generation, memory_order_relaxed);
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attributes, workerMain, (void *)(long)pool.workers);
        pthread_attr_destroy(&attributes);
        if (failed) break;
        pool.workers += 1;
    }
    pthread_mutex_unlock(&pool.lock);
}

static void runSerially(long chunks, MinoChunkFunction function, void *context) {
    for (long i = 0; i < chunks; i++) function(context, i);
}

void mino_parallel_run(long chunks, MinoChunkFunction function, void *context, int threads) {
    if (chunks <= 0) return;
    if (threads <= 1 || chunks == 1 || insideJob || atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
        runSerially(chunks, function, context);
        return;
    }
    ensureWorkers(threads - 1);
    if (pool.workers == 0) {
        atomic_flag_clear_explicit(&pool.busy, memory_order_release);
        runSerially(chunks, function, context);
        return;
    }
    pool.function = function;
    pool.context = context;
    pool.chunks = chunks;
    int participants = threads - 1 < pool.workers ? threads - 1 : pool.workers;
    pool.participants = participants;
    atomic_store_explicit(&pool.nextChunk, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.acknowledged, 0, memory_order_relaxed);
    // Publish the job, and wake the workers that went to sleep.
    pthread_mutex_lock(&pool.lock);
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);

    insideJob = true;
    runChunks();
    insideJob = false;
    while (atomic_load_explicit(&pool.acknowledged, memory_order_acquire) < participants) sched_yield();
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
}
