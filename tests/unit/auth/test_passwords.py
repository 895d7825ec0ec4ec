from chalicelib.auth import passwords


def test_hash_is_argon2id_at_owasp_parameters():
    hashed = passwords.hash_password("correct horse")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert "correct horse" not in hashed


def test_verify_accepts_the_password_and_rejects_others():
    hashed = passwords.hash_password("correct horse")
    assert passwords.verify_password(hashed, "correct horse")
    assert not passwords.verify_password(hashed, "correct horsE")
    assert not passwords.verify_password("not a hash", "correct horse")


def test_same_password_hashes_differently():
    assert passwords.hash_password("pw-pw-pw-pw") != passwords.hash_password("pw-pw-pw-pw")


def test_burning_time_runs_a_real_verification(monkeypatch):
    calls = []
    original = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: calls.append((h[:9], p)) or original(h, p))
    passwords.burn_verification_time("whatever")
    assert calls == [("$argon2id", "whatever")]
