// A fork-join pool for the blas backend's own loops: the calling thread and up
// to 63 persistent workers take chunks of a job until none is left. Workers
// spin briefly after a job (a training step runs hundreds of short parallel
// loops, and waking a sleeping thread costs more than a small loop), yielding
// the core while they spin, then sleep. Unlike the rest of this module it runs
// on any CPU.

#ifndef MINO_KERNEL_THREADS_H
#define MINO_KERNEL_THREADS_H

#ifdef __cplusplus
extern "C" {
#endif

/// One chunk of a job: `chunk` in `0..<chunks`.
typedef void (*MinoChunkFunction)(void *_Nullable context, long chunk);

/// Runs `function(context, i)` for every i in `0..<chunks` on the calling thread
/// and `threads − 1` workers, and returns when all have run. Runs everything on
/// the calling thread when `threads` or `chunks` is 1, when called from inside a
/// job, or when another thread's job holds the pool.
void mino_parallel_run(long chunks, MinoChunkFunction _Nonnull function, void *_Nullable context, int threads);

#ifdef __cplusplus
}
#endif

#endif
