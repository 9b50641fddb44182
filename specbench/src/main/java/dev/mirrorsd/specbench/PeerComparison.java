package dev.mirrorsd.specbench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Our methods beside a peer's, per task and overall, on the questions both answered: tokens/s and
 * mean accepted tokens of each, and our tokens/s over the peer's. Also whether the peer's greedy
 * tokens equal our baseline's, which says it ran the same target on the same prompts.
 *
 * @param peer        the peer's name and how it ran
 * @param rows        per task then overall, per peer method
 * @param equalTurns  peer turns whose token ids equal our baseline's
 * @param comparedTurns peer turns compared (those with token ids, of questions our baseline answered)
 * @param unpaired    peer methods whose counterpart we did not run
 */
public record PeerComparison(String peer, String description, List<Row> rows, int equalTurns, int comparedTurns,
                             List<String> unpaired) {

    public PeerComparison {
        rows = List.copyOf(rows);
        unpaired = List.copyOf(unpaired);
    }

    /**
     * @param ratio ourTokensPerSecond / peerTokensPerSecond; 0 when the peer has no speed
     */
    public record Row(String task, String ourMethod, String peerMethod, int questions, double ourTokensPerSecond,
                      double peerTokensPerSecond, double ratio, double ourMeanAcceptedTokens,
                      double peerMeanAcceptedTokens) {
    }

    public static PeerComparison of(Peer peer, Map<String, List<Answer>> ours) {
        List<Row> rows = new ArrayList<>();
        List<String> unpaired = new ArrayList<>();
        List<String> tasks = new ArrayList<>();
        for (SpecBenchTask task : SpecBenchTask.values()) {
            tasks.add(task.label());
        }
        tasks.add(SpeedReport.OVERALL);
        for (String task : tasks) {
            Predicate<Answer> inTask = a -> task.equals(SpeedReport.OVERALL) || a.question().task().equals(task);
            for (Map.Entry<String, String> pair : peer.ours().entrySet()) {
                List<Answer> mine = ours.get(pair.getValue());
                if (mine == null) {
                    if (!unpaired.contains(pair.getKey())) {
                        unpaired.add(pair.getKey());
                    }
                    continue;
                }
                List<Answer> theirs = peer.answers().get(pair.getKey()).stream().filter(inTask).toList();
                Set<Integer> shared = theirs.stream().map(a -> a.question().id()).collect(Collectors.toSet());
                shared.retainAll(mine.stream().filter(inTask).map(a -> a.question().id()).collect(Collectors.toSet()));
                if (shared.isEmpty()) {
                    continue;
                }
                List<Answer> a = mine.stream().filter(x -> shared.contains(x.question().id())).toList();
                List<Answer> b = theirs.stream().filter(x -> shared.contains(x.question().id())).toList();
                double our = SpeedReport.meanTokensPerSecond(a);
                double their = SpeedReport.meanTokensPerSecond(b);
                rows.add(new Row(task, pair.getValue(), pair.getKey(), shared.size(), our, their,
                        their == 0 ? 0 : our / their, SpeedReport.meanAcceptedTokens(a), SpeedReport.meanAcceptedTokens(b)));
            }
        }
        int equal = 0;
        int compared = 0;
        List<Answer> baseline = ours.get(SpecBenchRunner.BASELINE);
        if (baseline != null) {
            for (List<Answer> answers : peer.answers().values()) {
                Set<Integer> ids = answers.stream().filter(a -> a.turns().stream().allMatch(t -> t.tokenIds().length > 0))
                        .map(a -> a.question().id()).collect(Collectors.toSet());
                List<Answer> reference = baseline.stream().filter(a -> ids.contains(a.question().id())).toList();
                int turns = reference.stream().mapToInt(a -> a.turns().size()).sum();
                compared += turns;
                equal += turns - GreedyEquality.compare(reference, answers, "peer").size();
            }
        }
        return new PeerComparison(peer.name(), peer.description(), rows, equal, compared, unpaired);
    }
}
