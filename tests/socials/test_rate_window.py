"""rate_limit_window: one publish per account per window, enforced under the account's row lock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from myloware.lib.errors import RateLimited
from socials import selectors, services
from socials.models import Publication
from tests.race import race_all


@pytest.mark.django_db
def test_publish_inside_the_window_is_429_with_a_correct_retry_after(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    social = make_social(rate_limit_window=600)
    first = make_running_run(render_url=upload_post.video_url("a.mp4"))
    publish(first.run_id)
    second = make_running_run(render_url=upload_post.video_url("b.mp4"))
    with pytest.raises(RateLimited) as exc:
        publish(second.run_id)
    assert 599 <= exc.value.retry_after <= 600

    # 590 s later: 10 s remain (rounded up, never 0).
    Publication.objects.filter(social=social).update(
        requested_at=first_requested(social) - timedelta(seconds=590)
    )
    with pytest.raises(RateLimited) as exc:
        publish(second.run_id)
    assert 9 <= exc.value.retry_after <= 10
    assert exc.value.details["next_allowed_at"] == selectors.social_next_publish_at(social).isoformat()

    # Past the window: allowed again.
    Publication.objects.filter(social=social).update(
        requested_at=first_requested(social) - timedelta(seconds=11)
    )
    publication, created = publish(second.run_id)
    assert created and publication.status == "published"
    assert len(upload_post.uploads()) == 2


def first_requested(social: Any) -> Any:
    return Publication.objects.filter(social=social).order_by("requested_at").first().requested_at


@pytest.mark.django_db
def test_null_window_uses_the_configured_default(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any, settings: Any
) -> None:
    settings.SOCIALS_DEFAULT_RATE_LIMIT_WINDOW = 120
    make_social(rate_limit_window=None)
    publish(make_running_run(render_url=upload_post.video_url("a.mp4")).run_id)
    with pytest.raises(RateLimited) as exc:
        publish(make_running_run(render_url=upload_post.video_url("b.mp4")).run_id)
    assert 119 <= exc.value.retry_after <= 120


@pytest.mark.django_db
def test_windows_are_per_account(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    make_social(project="aismr", rate_limit_window=600)
    make_social(project="other", rate_limit_window=600)
    publish(make_running_run(project="aismr", render_url=upload_post.video_url("a.mp4")).run_id)
    publication, created = publish(
        make_running_run(project="other", render_url=upload_post.video_url("b.mp4")).run_id
    )
    assert created and publication.status == "published"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_publishes_to_one_account_one_proceeds_the_other_gets_429(
    make_social: Any, make_running_run: Any, settings: Any
) -> None:
    settings.DEBUG = True  # the fake publisher keeps this about the lock, not HTTP
    make_social(credential_ref="", rate_limit_window=3600)
    runs = [make_running_run(render_url=f"https://cdn.example.com/{i}.mp4") for i in range(2)]
    outcomes = race_all(
        [lambda run=run: services.publication_request(run_id=run.run_id, actor="test") for run in runs]
    )
    created = [o for o in outcomes if isinstance(o, tuple)]
    limited = [o for o in outcomes if isinstance(o, RateLimited)]
    assert len(created) == 1 and len(limited) == 1, outcomes
    assert 3590 <= limited[0].retry_after <= 3600
    assert Publication.objects.count() == 1
    assert Publication.objects.get().status == "published"  # the job ran on commit


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_the_same_content_make_one_publication(
    make_social: Any, make_running_run: Any, settings: Any
) -> None:
    settings.DEBUG = True
    make_social(credential_ref="", rate_limit_window=3600)
    run = make_running_run(render_url="https://cdn.example.com/final.mp4")
    outcomes = race_all(
        [
            lambda: services.publication_request(run_id=run.run_id, actor="test", caption="same")
            for _ in range(3)
        ]
    )
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert len({o[0].pk for o in outcomes}) == 1
    assert sorted(o[1] for o in outcomes) == [False, False, True]
    assert Publication.objects.count() == 1
