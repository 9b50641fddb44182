package dev.mirrorsd.server;

import dev.mirrorsd.pipeline.Cancellation;
import dev.mirrorsd.pipeline.GenerationConfig;
import dev.mirrorsd.pipeline.GenerationResult;
import dev.mirrorsd.pipeline.Generator;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One request's generation on a platform thread of its own, handing what it commits to the HTTP
 * handler through a queue of {@link Event}s. The model's native forward passes thus never pin the
 * web server's virtual-thread carriers, and a slow client never stalls decoding: the handler
 * writes at its own pace, and raises {@link #cancel()} when the client is gone.
 *
 * <p>Thread-safety: {@link #run()} on the request's thread; {@link #next()} and {@link #cancel()}
 * from the handler's.
 */
final class RequestRun implements Runnable {

    /** What the handler reads, in order: any number of {@link Tokens}, then one {@link Done} or {@link Failed}. */
    sealed interface Event permits Tokens, Done, Failed {
    }

    /** {@code count} tokens were committed; {@code text} is the text they complete (may be empty). */
    record Tokens(String text, int count) implements Event {
    }

    record Done(GenerationResult result) implements Event {
    }

    /** Refused ({@link dev.mirrorsd.pipeline.RejectedRequestException}, {@link IllegalArgumentException}) or failed mid-request. */
    record Failed(RuntimeException error) implements Event {
    }

    private final Generator generator;
    private final int[] prompt;
    private final GenerationConfig config;
    private final ServerMetrics metrics;
    private final long arrivalNanos;
    private final Cancellation cancellation = new Cancellation();
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private long firstTokenNanos; // request thread only
    private long lastTokenNanos;

    RequestRun(Generator generator, int[] prompt, GenerationConfig config, ServerMetrics metrics, long arrivalNanos) {
        this.generator = generator;
        this.prompt = prompt;
        this.config = config;
        this.metrics = metrics;
        this.arrivalNanos = arrivalNanos;
    }

    @Override
    public void run() {
        metrics.requestStarted();
        try {
            GenerationResult result = generator.generateFromIds(prompt, config, this::committed, cancellation);
            long first = firstTokenNanos == 0 ? 0 : firstTokenNanos - arrivalNanos;
            metrics.finished(result.stats(), result.finishReason(), first, System.nanoTime() - arrivalNanos);
            events.add(new Done(result));
        } catch (RuntimeException e) { // refused or failed: the handler answers it, and counts it
            events.add(new Failed(e));
        } finally {
            metrics.requestLeft();
        }
    }

    private void committed(int[] tokenIds, String textDelta) {
        long now = System.nanoTime();
        if (firstTokenNanos == 0) {
            firstTokenNanos = now;
        } else {
            metrics.interToken(now - lastTokenNanos);
        }
        lastTokenNanos = now;
        events.add(new Tokens(textDelta, tokenIds.length));
    }

    /** The next event, waiting for it. */
    Event next() throws InterruptedException {
        return events.take();
    }

    /** The client is gone: stop at the next check, free the caches, keep nothing. */
    void cancel() {
        cancellation.cancel();
    }
}
