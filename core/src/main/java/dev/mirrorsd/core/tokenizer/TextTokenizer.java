package dev.mirrorsd.core.tokenizer;

/**
 * Text to token ids and back. Special tokens written in the text ({@code <|im_start|>}) map to
 * their ids; nothing is added (no BOS): chat templates write what a model needs.
 */
public interface TextTokenizer extends AutoCloseable {

    int[] encode(String text);

    /** Decodes ids, special tokens included, as Hugging Face's {@code decode(ids)} does. */
    String decode(int[] ids);

    /** Entries in the vocabulary, added tokens included. */
    int vocabSize();

    /** The token's string as stored in the vocabulary, or null if out of range. */
    String tokenString(int id);

    /** Id of a token string, or -1. */
    int tokenId(String token);

    @Override
    void close();
}
