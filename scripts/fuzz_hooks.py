"""The fuzzer's own check of schema-valid requests, in place of schemathesis'
positive_data_acceptance.

A request the schema calls valid must be accepted, with one exception: a rule no JSON Schema
can state — a record it names that does not exist in the caller's scope, a check character, a
balance, a state, two fields compared, a date against today. Those are refused with 422 and one
of the codes below, documented in the API's error body. Any other refusal of schema-valid data
(400 for a body the schema allows, 422 with a code a schema could have stated: a length, a
pattern, a minimum) means the schema is looser than the server, and fails the run."""

import schemathesis

RULES_NO_SCHEMA_CAN_STATE = frozenset(
    {
        # a record named in the body, unknown or outside the caller's scope
        # a supermarket's card or goods named in the body; its stock and a household's balance
        "market_card_unknown",
        "quantity_invalid",
        "market_over_balance",
        "market_out_of_stock",
        # a meal point's elders named in the body, the day against today, once a day, and the
        # fund that carries the subsidy
        "meal_elder_unknown",
        "meal_sign_off_day",
        "meal_already_served",
        "meal_fund_short",
        # an alliance application's need: seen, medical, linked to a person of a member county,
        # once; insurance against the bill
        "alliance_need_unknown",
        "alliance_need_not_medical",
        "alliance_need_no_person",
        "alliance_not_member",
        "alliance_need_applied",
        "alliance_insurance_over_bill",
        "fund_unknown",
        "org_unknown",
        "org_out_of_scope",
        "fund_not_special",
        "fund_closed",
        "member_is_group",
        "member_registered_elsewhere",
        "budget_line_not_project",
        "budget_line_unknown",
        "project_unknown",
        # check characters (GB 32100 credit codes, GB 11643 ID numbers)
        "credit_code_check",
        "id_number_check",
        "id_number_birth",
        # balances and states
        "insufficient_funds",
        "fund_needs_campaign",
        "need_step_not_allowed",
        "person_registered_here",
        "volunteer_registered",
        "fund_state_invalid",
        "not_maker",
        "own_request",
        "same_approver",
        "amount_over_agreement",
        "outside_agreement",
        "refund_without_order",
        "settle_day_not_over",
        "receipt_range_overlap",
        # two fields compared
        "merge_same_donor",
        "ends_before_start",
        "receipt_range_reversed",
        "credit_code_for_person",
        # a note needed for every step of a need but accepting; a referral names where it goes,
        # never the need's own unit
        "need_note_missing",
        "referral_missing",
        "referral_to_itself",
        # skills counted after splitting the text
        "skills_too_many",
        # a date against today (a child under 14 needs a guardian's consent)
        "guardian_missing",
        "guardian_relation_missing",
        "guardian_missing_minor",
        "occurred_in_future",
        "occurred_too_long_ago",
        # a calendar date and time (30 February), an activity's end against its start and its
        # length
        "time_invalid",
        "activity_ends_before",
        "activity_over_a_day",
        # a volunteer or team named in the body, unknown or outside the scope; an activity's
        # places and times against now and the volunteer's other places; a place's state
        "volunteer_unknown",
        "activity_team_unknown",
        "activity_ended",
        "activity_full",
        "activity_overlaps",
        "attendance_signed_up_already",
        "attendance_not_signed_up",
        "attendance_not_signed_in",
        "attendance_signed_in_already",
        "attendance_signed_out_already",
        "attendance_not_signed_out",
        "attendance_confirmed_already",
        "attendance_too_late_to_withdraw",
        "attendance_withdrawn",
        "scan_code_wrong",
        "sign_in_outside_activity",
        # a decision's state
        "decision_closed",
    }
)


@schemathesis.check
def schema_valid_data_is_accepted(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    try:
        code = response.json().get("code")
    except Exception:
        code = None
    if response.status_code == 422 and code in RULES_NO_SCHEMA_CAN_STATE:
        return None
    raise AssertionError(
        f"Schema-valid request refused with {response.status_code} {code!r}: "
        "the schema allows what the server refuses"
    )
