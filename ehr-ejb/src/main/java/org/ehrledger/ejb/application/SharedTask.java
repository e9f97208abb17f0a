package org.ehrledger.ejb.application;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A piece of work offered to helper threads and run by whoever comes first: a helper, or the thread that needs its
 * answer. Work that a thread hands out ahead of time (the next chunks of a large bundle to validate, the next requests
 * of an import to commit) so goes on beside it, and a busy, small or shut-down executor (the application server's
 * managed executor, whose threads the jobs handing the work out may themselves hold) only makes it sequential: the
 * thread that needs an answer never waits for a helper that has not started.
 */
public final class SharedTask<T> {

    private final AtomicBoolean taken = new AtomicBoolean();
    private final CompletableFuture<T> answer = new CompletableFuture<>();
    private volatile Supplier<T> work;

    public SharedTask(Supplier<T> work) {
        this.work = work;
    }

    /** Offers the work to {@code helpers} (null: none); one that refuses it leaves it to the thread that needs it. */
    public SharedTask<T> offer(Executor helpers) {
        if (helpers != null) {
            try {
                helpers.execute(this::run);
            } catch (RejectedExecutionException e) {
                // run by the thread that needs the answer
            }
        }
        return this;
    }

    /** Does the work unless someone has started it (or it was dropped). */
    public void run() {
        if (taken.compareAndSet(false, true)) {
            Supplier<T> w = work;
            work = null; // whatever it holds is let go once done
            try {
                answer.complete(w.get());
            } catch (Throwable t) {
                answer.completeExceptionally(t);
            }
        }
    }

    /** Whether its answer (or failure) is there. */
    public boolean done() {
        return answer.isDone();
    }

    /** Its answer: done on this thread if no one has started it, else awaited; its failure is thrown as it was. */
    public T answer() {
        run();
        try {
            return answer.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /** Not needed: not done if no one has started it (one that has runs to its end). */
    public void drop() {
        if (taken.compareAndSet(false, true)) {
            work = null;
            answer.cancel(false);
        }
    }
}
