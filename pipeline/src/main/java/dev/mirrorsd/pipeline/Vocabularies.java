package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.tokenizer.TextTokenizer;

/** Speculative decoding compares token ids, so draft and target must share one vocabulary. */
final class Vocabularies {
    private Vocabularies() {
    }

    /** Refuses two tokenizers that disagree on any id, naming the first difference. */
    static void requireSame(TextTokenizer target, TextTokenizer draft) {
        if (target.vocabSize() != draft.vocabSize()) {
            throw new IllegalArgumentException("the draft's tokenizer has " + draft.vocabSize()
                    + " tokens, the target's " + target.vocabSize() + ": draft and target must share a vocabulary");
        }
        for (int id = 0; id < target.vocabSize(); id++) {
            String a = target.tokenString(id);
            String b = draft.tokenString(id);
            if (a == null ? b != null : !a.equals(b)) {
                throw new IllegalArgumentException("the draft's tokenizer differs from the target's at id " + id
                        + " ('" + b + "' vs '" + a + "'): draft and target must share a vocabulary");
            }
        }
    }
}
