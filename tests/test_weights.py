import pytest

from lda_model.inference import weights
from lda_model.inference.weights import WeightsError, load_detector, resolve_source


def test_local_folder_first(tiny_weights):
    info = resolve_source(str(tiny_weights))
    assert info.kind == "local" and info.location == str(tiny_weights)


def test_bundled_name(monkeypatch, tmp_path, tiny_weights):
    (tmp_path / "m2").symlink_to(tiny_weights, target_is_directory=True)
    monkeypatch.setattr(weights, "WEIGHTS_DIR", tmp_path)
    monkeypatch.chdir(tmp_path.parent)
    info = resolve_source("m2")
    assert info.kind == "bundled"
    assert weights.bundled_weights() == ["m2"]


def test_hub_ids_and_revisions():
    info = resolve_source("someorg/lda-lite@v1.0")
    assert (info.kind, info.location, info.revision) == ("hub", "someorg/lda-lite", "v1.0")
    assert resolve_source("someorg/lda-lite").revision is None


def test_env_default(monkeypatch, tiny_weights):
    monkeypatch.setenv("LDA_WEIGHTS", str(tiny_weights))
    assert resolve_source(None).kind == "local"


@pytest.mark.parametrize("bad", ["", "a/b/c", "../etc/passwd@x y", "no spaces allowed"])
def test_unknown_sources(bad):
    with pytest.raises(WeightsError):
        resolve_source(bad or " ")


def test_loaded_once(tiny_weights):
    a, _ = load_detector(str(tiny_weights))
    b, _ = load_detector(str(tiny_weights))
    assert a is b


def test_unknown_repo_offline_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(WeightsError, match="could not load weights from nobody/nothing"):
        load_detector("nobody/nothing@main")


def test_publish_uploads_only_safe_files(tiny_weights, tmp_path):
    from lda_model.release.publish import main as publish

    calls = []

    class FakeApi:
        def create_repo(self, repo, **kw):
            calls.append(("create", repo, kw))

        def upload_folder(self, **kw):
            calls.append(("upload", kw))
            return type("Info", (), {"commit_url": "https://example.invalid/commit/1"})()

    assert publish([str(tiny_weights), "--repo", "me/lda"], api=FakeApi()) == 0
    assert calls[0][:2] == ("create", "me/lda")
    upload = calls[1][1]
    assert upload["repo_id"] == "me/lda" and "model.safetensors" in upload["allow_patterns"]
    assert not any(p.endswith((".bin", ".pt")) for p in upload["allow_patterns"])
    (tmp_path / "pytorch_model.bin").write_bytes(b"x")
    with pytest.raises(SystemExit, match="needs config.json"):
        publish([str(tmp_path), "--repo", "me/lda"], api=FakeApi())


def test_public_policy_refuses_folders_and_other_repos_alike(tiny_weights):
    from lda_model.inference.weights import PROJECT_REPO, WeightsInfo, public_policy

    assert public_policy({}) is None  # local use: no policy
    policy = public_policy({"SPACE_ID": "someone/space"})
    assert policy.allowed_repos == (PROJECT_REPO,) and not policy.allow_local and policy.max_external == 2
    messages = set()
    for source in (str(tiny_weights), "/no/such/folder", "someone/else", "someone/else@main"):
        with pytest.raises(WeightsError) as err:
            load_detector(source, policy)
        messages.add(str(err.value))
    assert len(messages) == 1 and str(tiny_weights) not in messages.pop()
    policy.check(WeightsInfo(PROJECT_REPO, "hub", PROJECT_REPO))  # the allow-listed repo passes
    mine = public_policy({"LDA_PUBLIC": "1", "LDA_ALLOWED_WEIGHTS": "a/b, c/d"})
    assert mine.allowed_repos == ("a/b", "c/d")


def test_non_bundled_models_in_memory_stay_bounded(tiny_weights, tmp_path):
    import shutil

    from lda_model.inference.weights import SourcePolicy, loaded_sources

    policy = SourcePolicy(max_external=2)
    folders = []
    for i in range(4):
        folders.append(tmp_path / f"w{i}")
        shutil.copytree(tiny_weights, folders[-1])
        load_detector(str(folders[-1]), policy)
        assert sum(info.kind != "bundled" for info in loaded_sources()) <= 2
    held = {info.location for info in loaded_sources()}
    assert str(folders[-1].resolve()) in held and str(folders[0].resolve()) not in held


def test_an_unreachable_hub_answers_at_once_from_the_local_cache(monkeypatch, tmp_path, tiny_weights):
    from test_model import make_hub_cache

    from lda_model.inference import weights as w

    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(w, "hub_reachable", lambda timeout=w.HUB_PROBE_TIMEOUT_S: False)  # no network, no retries
    make_hub_cache(tmp_path / "hub", "someorg/cached", tiny_weights)
    model, info = load_detector("someorg/cached")  # cached: loads without the Hub
    assert info.kind == "hub" and model.config.name == "tiny-random"
    with pytest.raises(WeightsError, match="cannot be reached from here, and someorg/elsewhere is not in the local"):
        load_detector("someorg/elsewhere")


def test_the_hub_probe_gives_up_within_its_timeout(monkeypatch):
    from lda_model.inference import weights as w

    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", "https://nowhere.invalid")
    assert w.hub_reachable(timeout=1.0) is False


def test_variant_tables_name_each_checkpoint_once_with_all_its_tables():
    series = {"V": ["backbone_only", "default"], "VI": ["m1", "default"], "VII": ["xception_lite", "n2"]}
    assert weights.variant_tables(series) == {"default": "V/VI", "backbone_only": "V", "m1": "VI",
                                              "xception_lite": "VII", "n2": "VII"}
    # once every table shares `default`'s recipe, it is the full model of all three
    one = weights.variant_tables({"V": ["default"], "VI": ["m1", "default"], "VII": ["default", "n2"]})
    assert one == {"default": "V/VI/VII", "m1": "VI", "n2": "VII"}
    assert weights.variant_tables({"VI": ["m1"]}) == {"default": "", "m1": "VI"}  # the default outside the series


def test_the_bundled_series_one_full_model_per_table():
    assert weights.TABLE_V["spatial + temporal"] == weights.DEFAULT_WEIGHTS  # Table V on `default`'s recipe
    assert weights.TABLE_VI[4] == weights.TABLE_VI_FULL == weights.DEFAULT_WEIGHTS  # Table VI too
    assert weights.TABLE_VII[3] == weights.TABLE_VII_FULL == weights.DEFAULT_WEIGHTS  # and Table VII
    assert weights.PAPER_FULL == {weights.DEFAULT_WEIGHTS}
    assert weights.VARIANT_TABLE[weights.DEFAULT_WEIGHTS] == "V/VI/VII"
    assert weights.VARIANT_TABLE[weights.SCRATCH_CONTROL] == ""  # bundled and listed, in no table
