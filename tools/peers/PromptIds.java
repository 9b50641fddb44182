import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.tokenizer.ChatMessage;

import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * mirror-sd's prompt token ids for conversations, so that a peer can check it feeds the target
 * exactly what we feed it. Reads a JSON list of conversations (each a list of {"role", "content"})
 * on stdin and prints a JSON list of token-id lists: the model's chat template with the generation
 * prompt, encoded by our tokenizer, as Generator.encode does. Run as a single-file program:
 * {@code java -cp "cli/target/cli.jar:$(cat cli/target/classpath.txt)" tools/peers/PromptIds.java MODEL.gguf}
 */
public final class PromptIds {
    public static void main(String[] args) throws Exception {
        Checkpoint checkpoint = Checkpoint.open(Path.of(args[0]));
        List<List<Map<String, String>>> conversations = new Gson().fromJson(
                new InputStreamReader(System.in, StandardCharsets.UTF_8),
                new TypeToken<List<List<Map<String, String>>>>() { }.getType());
        List<int[]> ids = new ArrayList<>();
        for (List<Map<String, String>> conversation : conversations) {
            List<ChatMessage> messages = conversation.stream()
                    .map(m -> new ChatMessage(m.get("role"), m.get("content"))).toList();
            ids.add(checkpoint.tokenizer().encode(checkpoint.chatTemplate().render(messages, true)));
        }
        System.out.println(new Gson().toJson(ids));
    }
}
