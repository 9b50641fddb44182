package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.tokenizer.TextTokenizer;

import java.util.Arrays;

/** Text is the ids themselves (" 5 17 33"): enough for tests of decoding that need no real vocabulary. */
final class IdTokenizer implements TextTokenizer {
    private final int vocab;

    IdTokenizer(int vocab) {
        this.vocab = vocab;
    }

    @Override
    public int[] encode(String text) {
        return Arrays.stream(text.trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            out.append(' ').append(id);
        }
        return out.toString();
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public String tokenString(int id) {
        return id >= 0 && id < vocab ? Integer.toString(id) : null;
    }

    @Override
    public int tokenId(String token) {
        return Integer.parseInt(token);
    }

    @Override
    public void close() {
    }
}
