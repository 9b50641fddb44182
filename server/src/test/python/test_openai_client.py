"""`bin/mirror-sd serve` called by OpenAI's own Python client: chat, completions, streaming, stop
strings, seeds, and every refusal. One server for the module, on a free port, the default target,
prompt-lookup pinned; one request decodes at a time and none may wait, so that a second concurrent
request is refused with 429. Run by .ci/run in build/openai-venv (openai and pytest pinned there)."""
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import openai
import pytest

ROOT = Path(__file__).resolve().parents[4]
KEY = "test-key"
MODEL = "smollm2"
CHAT = [{"role": "user", "content": "Name three primary colours."}]


@pytest.fixture(scope="module")
def server():
    cmd = [str(ROOT / "bin" / "mirror-sd"), "serve", "--port", "0", "--strategy", "prompt-lookup",
           "--api-key", KEY, "--served-model-name", MODEL, "--max-concurrent", "1", "--max-queued", "0"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = None
    deadline = time.monotonic() + 300  # a first call builds the jars
    while url is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        found = re.search(r"on (http://\S+)", line)
        if found and "serving" in line:
            url = found.group(1)
    if url is None:
        proc.kill()
        pytest.fail("mirror-sd serve did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server + "/v1", api_key=KEY, max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def greedy_chat(client):
    return client.chat.completions.create(model=MODEL, messages=CHAT, max_tokens=8, temperature=0)


@pytest.fixture(scope="module")
def greedy_text(client):
    return client.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=8, temperature=0)


def raw(server, path, body, key=KEY):
    """POSTs bytes as they are, for bodies the client would never send; returns (status, parsed JSON)."""
    request = urllib.request.Request(server + path, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def metric(server, name):
    text = urllib.request.urlopen(server + "/metrics", timeout=30).read().decode()
    found = re.search("^" + re.escape(name) + r"\{[^}]*\} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_chat(greedy_chat):
    choice = greedy_chat.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content.strip()
    assert choice.finish_reason in ("stop", "length")
    assert 0 < greedy_chat.usage.completion_tokens <= 8
    spec = greedy_chat.model_extra["mirror_sd"]
    assert spec["strategy"] == "prompt-lookup" and spec["tau"] >= 1.0


def test_completion(greedy_text):
    assert greedy_text.object == "text_completion"
    assert greedy_text.choices[0].text
    assert greedy_text.usage.total_tokens == greedy_text.usage.prompt_tokens + greedy_text.usage.completion_tokens


def test_models(client):
    assert [m.id for m in client.models.list()] == [MODEL]


def test_streaming_carries_the_same_text(client, greedy_chat):
    stream = client.chat.completions.create(model=MODEL, messages=CHAT, max_tokens=8, temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == greedy_chat.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert chunks[-1].usage.completion_tokens == greedy_chat.usage.completion_tokens


def test_stop_string_is_cut_from_the_text(client, greedy_text):
    text = greedy_text.choices[0].text
    stop = text[2:5]
    stopped = client.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=8,
                                        temperature=0, stop=[stop])
    assert stopped.choices[0].text == text[:text.index(stop)]
    assert stopped.choices[0].finish_reason == "stop"


def test_a_seed_reproduces_a_sample(client):
    def sample():
        return client.completions.create(model=MODEL, prompt="Once upon a time", max_tokens=6, temperature=0.9,
                                         seed=1234).choices[0].text
    assert sample() == sample()


@pytest.mark.parametrize("body, param", [
    (b"{not json", None),
    (b'{"model": "smollm2", "messages": "hi"}', "messages"),
    (b'{"model": "smollm2", "messages": [{"role": "user", "content": "hi"}], "max_tokens": "5"}', "max_tokens"),
    (b'{"model": "smollm2", "messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}', "temperature"),
])
def test_bad_bodies_get_openais_error_object(server, body, param):
    status, answer = raw(server, "/v1/chat/completions", body)
    assert status == 400
    assert answer["error"]["type"] == "invalid_request_error"
    assert set(answer["error"]) == {"message", "type", "param", "code"}
    assert answer["error"]["param"] == param


def test_refusals_raise_the_clients_errors(client):
    kwargs = dict(model=MODEL, messages=CHAT, max_tokens=4)
    with pytest.raises(openai.BadRequestError, match="max_tokens"):
        client.chat.completions.create(**{**kwargs, "max_tokens": -1})
    with pytest.raises(openai.BadRequestError, match="n = 1"):
        client.chat.completions.create(**kwargs, n=2)
    with pytest.raises(openai.BadRequestError) as too_long:
        client.completions.create(model=MODEL, prompt="word " * 9000, max_tokens=4)
    assert too_long.value.code == "context_length_exceeded"
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(**{**kwargs, "model": "gpt-9"})
    assert unknown.value.code == "model_not_found"
    stranger = openai.OpenAI(base_url=str(client.base_url), api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        stranger.models.list()
    # and the server goes on
    assert client.completions.create(model=MODEL, prompt="Hi", max_tokens=2).choices[0].text is not None


def test_a_full_queue_answers_429_and_a_client_that_leaves_cancels(server, client):
    stream = client.completions.create(model=MODEL, prompt="Count: 1, 2, 3,", max_tokens=300, temperature=0,
                                       stream=True, extra_body={"ignore_eos": True})
    next(iter(stream))  # decoding now
    with pytest.raises(openai.RateLimitError) as busy:
        client.completions.create(model=MODEL, prompt="Hi", max_tokens=2)
    assert busy.value.response.headers["retry-after"] == "1"
    stream.close()  # the client leaves mid-stream
    deadline = time.monotonic() + 60
    while metric(server, "mirror_sd:requests_in_flight") > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert metric(server, "mirror_sd:requests_in_flight") == 0
    text = urllib.request.urlopen(server + "/metrics", timeout=30).read().decode()
    assert re.search(r'^vllm:request_success_total\{finished_reason="abort",model_name="smollm2"\} 1\.0$', text, re.M)
