/**
 * The token channel between Mirror-SD's two pipelines: single-producer, single-consumer LMAX
 * Disruptor rings of preallocated messages, one ring per direction and message kind.
 *
 * <ul>
 *   <li>{@link dev.mirrorsd.pipeline.ring.TokenChannel}: claim / publish, receive with a deadline
 *       and a minimum round id (stale messages are dropped), close wakes both sides.</li>
 *   <li>{@link dev.mirrorsd.pipeline.ring.WaitPolicy}: BUSY_SPIN, YIELDING or BLOCKING, chosen
 *       per channel.</li>
 *   <li>Messages ({@link dev.mirrorsd.pipeline.ring.RoundMessage}): target to draft
 *       {@link dev.mirrorsd.pipeline.ring.EarlyExitEvent} (top-kappa per window row after layer
 *       l_e) and {@link dev.mirrorsd.pipeline.ring.VerdictEvent} (accepted depth and the
 *       correction or bonus); draft to target {@link dev.mirrorsd.pipeline.ring.ProposalEvent}
 *       (the next window).</li>
 *   <li>{@link dev.mirrorsd.pipeline.ring.MirrorChannels}: the three channels of one generation,
 *       sized from (max draft rows, kappa) and closed together.</li>
 * </ul>
 *
 * <p>Typical round, target side: {@code exits.claim(t)} and fill in place, {@code exits.publish()};
 * run the remaining layers; verify; {@code verdicts.claim(t)}, fill, {@code verdicts.publish()};
 * {@code proposals.receive(next, round + 1, t)}. Draft side: {@code exits.receive(exit, round, t)},
 * roll out the branches, {@code verdicts.receive(verdict, round, t)}, publish the matching branch
 * (a hit) or a fresh draft (a miss) as the next {@code ProposalEvent}. Nothing is allocated per
 * message.
 */
package dev.mirrorsd.pipeline.ring;
