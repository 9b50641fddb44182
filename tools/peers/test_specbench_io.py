"""Checks of what the peers share: the question selection, the answer line's shape and its accept-length
check, accept lengths from forward calls, and the greedy agreement count. Plain Python, no framework: python3 tools/peers/test_specbench_io.py
(pytest runs it too)."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from specbench_io import agreement, answer_line, read_token_ids, select, tokens_per_call  # noqa: E402


def question(qid, category, turns=1):
    return {"question_id": qid, "category": category, "turns": [f"q{qid} turn {t}" for t in range(turns)]}


class SelectTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "question.jsonl")
        qs = [question(1, "writing", 2), question(2, "writing", 2), question(3, "roleplay", 2),
              question(4, "qa"), question(5, "qa"), question(6, "qa"), question(7, "rag")]
        with open(self.path, "w") as f:
            f.write("\n".join(json.dumps(q) for q in qs) + "\n\n")

    def tearDown(self):
        self.dir.cleanup()

    def ids(self, *args):
        return [q["question_id"] for q in select(self.path, *args)]

    def test_limit_is_per_category_in_file_order(self):
        self.assertEqual(self.ids("", 1), [1, 3, 4, 7])
        self.assertEqual(self.ids("", 0), [1, 2, 3, 4, 5, 6, 7])

    def test_a_task_names_its_categories(self):
        self.assertEqual(self.ids("mt_bench", 0), [1, 2, 3])
        self.assertEqual(self.ids("qa,roleplay", 2), [3, 4, 5])

    def test_task_limit_takes_the_task_categories_round_robin(self):
        self.assertEqual(self.ids("mt_bench", 0, 2), [1, 3])

    def test_an_unknown_category_is_refused(self):
        with self.assertRaises(SystemExit) as e:
            select(self.path, "poetry", 0)
        self.assertIn("poetry", str(e.exception))


class AnswerLineTest(unittest.TestCase):
    def test_the_spec_bench_shape(self):
        turns = [("Hi", [5, 6, 2], 0.5, [1, 2]), ("Bye", [7], 0.25, [1])]
        line = answer_line(question(81, "writing", 2), "llamacpp-prompt-lookup", "M", turns)
        choice = line["choices"][0]
        self.assertEqual(line["model_id"], "M-llamacpp-prompt-lookup")
        self.assertEqual(choice["turns"], ["Hi", "Bye"])
        self.assertEqual(choice["new_tokens"], [3, 1])
        self.assertEqual(choice["decoding_steps"], [2, 1])
        self.assertEqual(choice["wall_time"], [0.5, 0.25])
        self.assertEqual(choice["accept_lengths"], [1, 2, 1])
        self.assertEqual(choice["accept_lengths_per_turn"], [[1, 2], [1]])
        self.assertEqual(choice["token_ids"], [[5, 6, 2], [7]])
        again = answer_line(question(81, "writing", 2), "llamacpp-prompt-lookup", "M", turns)
        self.assertEqual(line["answer_id"], again["answer_id"])

    def test_accept_lengths_must_account_for_every_token(self):
        with self.assertRaises(ValueError):
            answer_line(question(1, "qa"), "m", "M", [("x", [5, 6, 7], 0.1, [1, 1])])


class TokensPerCallTest(unittest.TestCase):
    def test_tokens_of_one_forward_call_form_one_accept_length(self):
        self.assertEqual(tokens_per_call([1, 1, 2, 2, 2, 3]), [2, 3, 1])
        self.assertEqual(tokens_per_call([4, 5, 6]), [1, 1, 1])
        self.assertEqual(tokens_per_call([]), [])


class AgreementTest(unittest.TestCase):
    def test_counts_equal_turns_over_shared_questions(self):
        ours = {1: [[5, 6, 7], [8, 9]], 2: [[1, 2, 3, 4]], 3: [[4]]}
        theirs = {1: [[5, 6, 7], [8, 10]], 2: [[1, 2, 9, 4]], 4: [[4]]}
        equal, compared, differing = agreement(ours, theirs)
        self.assertEqual((equal, compared), (1, 3))
        self.assertEqual(differing, [(1, 1, 1, 2), (2, 0, 2, 4)])

    def test_a_shorter_answer_differs_at_its_end(self):
        self.assertEqual(agreement({1: [[5, 6, 2]]}, {1: [[5, 6]]}), (0, 1, [(1, 0, 2, 3)]))

    def test_reads_token_ids_from_answer_files(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "a.jsonl")
            with open(path, "w") as f:
                f.write(json.dumps(answer_line(question(3, "qa"), "m", "M", [("x", [4, 5], 0.1, [1, 1])])) + "\n")
            self.assertEqual(read_token_ids(path), {3: [[4, 5]]})
            with open(path, "w") as f:
                f.write(json.dumps({"question_id": 3, "choices": [{"turns": ["x"]}]}) + "\n")
            with self.assertRaises(ValueError):
                read_token_ids(path)


if __name__ == "__main__":
    unittest.main()
