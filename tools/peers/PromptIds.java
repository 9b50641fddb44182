import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.tokenizer.ChatMessage;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * mirror-sd's prompt token ids for conversations, so that a peer feeds the target exactly what we
 * feed it: reads one JSON conversation per line on stdin (a list of {"role", "content"}) and
 * answers each with one line, the JSON list of its token ids: the model's chat template with the
 * generation prompt, encoded by our tokenizer, as Generator.encode does. Run as a single-file
 * program, e.g. {@code java -cp "cli/target/cli.jar:$(cat cli/target/classpath.txt)"
 * tools/peers/PromptIds.java MODEL.gguf}.
 */
public final class PromptIds {
    public static void main(String[] args) throws Exception {
        Checkpoint checkpoint = Checkpoint.open(Path.of(args[0]));
        Gson gson = new Gson();
        Type conversationType = new TypeToken<List<Map<String, String>>>() { }.getType();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isBlank()) {
                continue;
            }
            List<Map<String, String>> conversation = gson.fromJson(line, conversationType);
            List<ChatMessage> messages = conversation.stream()
                    .map(m -> new ChatMessage(m.get("role"), m.get("content"))).toList();
            System.out.println(gson.toJson(checkpoint.tokenizer().encode(checkpoint.chatTemplate().render(messages, true))));
            System.out.flush();
        }
    }
}
