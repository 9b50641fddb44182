package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;

/** One target forward per token: the baseline every strategy is measured against. */
final class AutoregressiveLoop implements DecodingLoop {
    private final TokenChooser chooser;

    AutoregressiveLoop(TokenChooser chooser) {
        this.chooser = chooser;
    }

    @Override
    public void run(Sequence target, CommittedOutput output, RoundStats stats, Cancellation cancellation) {
        while (!output.done()) {
            if (cancellation.isCancelled()) {
                output.cancel();
                return;
            }
            int last = output.context()[output.length() - 1];
            Logits logits = target.forward(Window.chain(new int[] {last}, target.length()), 0);
            output.commit(chooser.choose(logits, 0, output.context(), output.length()));
            stats.round(0, 0);
            WindowVerification.requireCacheHoldsCommitted(target, output);
        }
    }
}
