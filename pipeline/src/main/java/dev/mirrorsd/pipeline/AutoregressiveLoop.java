package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import dev.mirrorsd.pipeline.profile.Profiler;

/** One target forward per token: the baseline every strategy is measured against. */
final class AutoregressiveLoop implements DecodingLoop {
    private final TokenChooser chooser;

    AutoregressiveLoop(TokenChooser chooser) {
        this.chooser = chooser;
    }

    @Override
    public void run(Sequence target, CommittedOutput output, RoundStats stats, Cancellation cancellation) {
        Profiler profiler = stats.profiler;
        while (!output.done()) {
            if (cancellation.isCancelled()) {
                output.cancel();
                return;
            }
            int last = output.context()[output.length() - 1];
            long forwardStart = profiler.enabled() ? System.nanoTime() : 0L;
            Logits logits = target.forward(Window.chain(new int[] {last}, target.length()), 0);
            if (profiler.enabled()) {
                profiler.span(Lane.TARGET, Phase.TARGET_FORWARD, forwardStart, System.nanoTime());
            }
            output.commit(chooser.choose(logits, 0, output.context(), output.length()));
            stats.round(0, 0);
            WindowVerification.requireCacheHoldsCommitted(target, output);
        }
    }
}
