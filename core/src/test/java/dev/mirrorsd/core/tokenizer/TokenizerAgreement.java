package dev.mirrorsd.core.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Where the Java tokenizer and DJL's disagree, as readable lines added to a list of mismatches,
 * which a test then asserts empty: their vocabularies, an encoding, a decoding.
 */
final class TokenizerAgreement {
    private TokenizerAgreement() {
    }

    /** Token strings and their ids over the vocabulary, one id past each end included. */
    static void vocabulary(TextTokenizer djl, TextTokenizer bpe, List<String> mismatches) {
        for (int id = -1; id <= djl.vocabSize(); id++) {
            String token = djl.tokenString(id);
            if (!Objects.equals(token, bpe.tokenString(id)) || (token != null && djl.tokenId(token) != bpe.tokenId(token))) {
                mismatches.add("token " + id + ": djl " + token + " java " + bpe.tokenString(id));
            }
        }
    }

    /** The ids of {@code text}; returns DJL's. */
    static int[] encoding(TextTokenizer djl, TextTokenizer bpe, String text, List<String> mismatches) {
        int[] want = djl.encode(text);
        int[] got = bpe.encode(text);
        if (!Arrays.equals(want, got)) {
            mismatches.add("encode '" + AdversarialText.escape(text) + "': djl " + Arrays.toString(want)
                    + " java " + Arrays.toString(got));
        }
        return want;
    }

    /** The text of {@code ids}. */
    static void decoding(TextTokenizer djl, TextTokenizer bpe, int[] ids, List<String> mismatches) {
        String want = djl.decode(ids);
        String got = bpe.decode(ids);
        if (!want.equals(got)) {
            mismatches.add("decode " + Arrays.toString(ids) + ": djl '" + AdversarialText.escape(want) + "' java '"
                    + AdversarialText.escape(got) + "'");
        }
    }
}
