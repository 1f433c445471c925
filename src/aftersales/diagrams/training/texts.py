"""The training page's own words: headings, buttons, sentence frames and the stories of the
shipped histories. The machine's vocabulary (states, events, guards, timers, evidence kinds) is
not repeated here: it comes from :mod:`aftersales.workflow.vocabulary`,
:mod:`aftersales.diagrams.labels` and the reason catalog.
"""

from __future__ import annotations

from typing import Final

from ...workflow.vocabulary import Label

PAGE: Final[dict[str, Label]] = {
    "title": Label("售后协商培训", "After-sales negotiation training"),
    "intro": Label(
        "给客服同事的售后培训材料。图、步骤和练习题都由售后状态机生成,和系统的规则始终一致。",
        "Training for customer-service staff. The pictures, the steps and the quiz are all "
        "generated from the after-sales state machine, so they always match the rules.",
    ),
    "rule": Label(
        "原则:不要直接拒绝买家的售后申请。先用「售后协商」,把是否取消售后的决定交还买家,并保留凭证。",
        "The rule: never reject a request outright. Negotiate first, leave the decision to "
        "cancel with the buyer, and keep the evidence.",
    ),
    "toc": Label("目录", "Contents"),
    "switch": Label("English", "中文"),
    "print": Label("打印", "Print"),
    "overview": Label("全流程概览", "The whole process"),
    "overview_note": Label(
        "每个方框是一个阶段:上面是这个阶段里的状态(底色表示轮到谁处理,小字是系统里的状态名),"
        "下面每一行是离开这个阶段的一种方式,箭头从那一行出发。阶段内部的细节见「各方可以做什么」。",
        "Each box is a phase: first its states (the colour says whose turn it is; the small "
        "grey word is the state's name in the system), then one row per way out of the phase, "
        "with its arrow leaving from that row. The moves inside a phase are in 'Who can do what'.",
    ),
    "parties": Label("各方可以做什么", "Who can do what"),
    "parties_note": Label(
        "同一个状态机按操作方拆开:每张图只画这一方能做的操作。同一操作从几个状态都能做时,"
        "箭头先汇合,再标一次说明。",
        "The same machine split by party: each picture draws only what that party can do. When "
        "one move is possible from several states, their arrows meet first and carry one label.",
    ),
    "scenarios": Label("场景练习卡", "Scenario cards"),
    "quiz": Label("练习题", "Practice quiz"),
    "quiz_note": Label(
        "每道题来自一条真实的示例记录。选一个做法,看看系统会怎么处理:是否允许、有没有判责风险、为什么。",
        "Each question comes from a shipped example case. Pick what you would do and see what the "
        "system does with it: allowed or not, whether it is a liability risk, and why.",
    ),
    "answer_key": Label("答案", "Answers"),
    "question": Label("第 {} 题", "Question {}"),
    "your_move": Label("你会怎么做?", "What do you do?"),
    "situation_state": Label("当前状态", "Case status"),
    "situation_goods": Label("商品", "Goods"),
    "situation_request": Label("买家申请", "The buyer asks for"),
    "situation_reason": Label("买家的理由", "The buyer's reason"),
    "situation_last": Label("刚刚发生", "What just happened"),
    "situation_before": Label("你之前的协商", "Your earlier negotiation"),
    "verdict_best": Label("正确:推荐做法", "Right: the recommended move"),
    "verdict_ok": Label("可以,但不是推荐做法", "Allowed, but not the recommended move"),
    "verdict_risk": Label("有判责风险", "Liability risk"),
    "verdict_refused": Label("系统不允许", "The system refuses"),
    "leads_to": Label("结果:{}", "Leads to: {}"),
    "step_buyer": Label("买家怎么说", "What the buyer said"),
    "step_choose": Label("在后台选择", "In the console, choose"),
    "step_message": Label("自动填充的商家留言", "The auto-filled merchant message"),
    "step_evidence": Label("上传凭证", "Evidence to upload"),
    "step_answers": Label("买家可能的回应", "How the buyer may answer"),
    "step_then": Label("这条记录里接下来发生的事", "What happened next in this case"),
    "step_rejection": Label("如果最后仍要拒绝", "If you still reject in the end"),
    "direct_cost": Label("直接拒绝的代价", "What a direct rejection costs"),
    "way": Label("做法 {}", "Way {}"),
    "console_path": Label("点击路径", "Click path"),
    "negotiation_type": Label("协商类型", "Negotiation type"),
    "negotiation_reason": Label("协商说明", "Negotiation reason"),
    "image_required": Label("必填:至少上传一张图片或视频", "Required: at least one photo or video"),
    "image_optional": Label("选填:可以不传图片", "Optional: photos may be left out"),
    "evidence_guide": Label("凭证引导语:{}", "Evidence guide: {}"),
    "uploaded": Label("本例上传了:{}", "This case uploaded: {}"),
    "answer_accept": Label("同意", "Accepts"),
    "answer_supply": Label("补充凭证", "Adds evidence"),
    "answer_decline": Label("拒绝", "Declines"),
    "answer_silent": Label("不处理({})", "Stays silent ({})"),
    "then_merchant": Label("你可以再次协商,或备齐凭证后拒绝", "you may negotiate again, or reject"),
    "rejection_needs": Label("拒绝时须备齐:{}", "A rejection needs: {}"),
    "direct_outcome": Label(
        "示例记录中:买家申请平台介入,平台判定{}责任,售后单最后是「{}」。",
        "In the example the buyer escalated, the platform held the {} liable, and the case "
        "ended as '{}'.",
    ),
    "history_steps": Label("示例记录的经过", "How the example case went"),
    "final_mark": Label("(结束)", " (final)"),
    "opened": Label("买家提交了售后申请", "the buyer opened the request"),
}
"""Headings, notes, buttons and sentence frames of the page (``{}`` takes a value)."""

MOVES: Final[dict[str, Label]] = {
    "agree": Label("同意买家的申请", "Agree to the request"),
    "direct_reject": Label("直接拒绝", "Reject right away"),
    "reject_bare": Label("拒绝,不上传凭证", "Reject without evidence"),
    "reject_evidence": Label("拒绝,并上传:{}", "Reject, uploading: {}"),
    "negotiate": Label("协商:{}「{}」", "Negotiate: {} '{}'"),
    "with_evidence": Label(",上传:{}", ", uploading: {}"),
    "no_evidence": Label(",不上传凭证", ", without evidence"),
    "amount": Label(",金额 {}", ", amount {}"),
}
"""The merchant's options in a quiz question, as sentence frames."""

WHY: Final[dict[str, Label]] = {
    "negotiate": Label(
        "先协商:把是否取消售后的决定交还买家,凭证也随协商留存。",
        "Negotiating first leaves the decision to the buyer and keeps your evidence on record.",
    ),
    "agree": Label(
        "买家的凭证属实时,尽快退款是最好的处理,不会产生纠纷。",
        "When the buyer's evidence holds, refunding quickly is right and leaves no dispute.",
    ),
    "reject": Label(
        "协商之后才拒绝,并且凭证齐全:平台介入时你能举证。",
        "You rejected only after negotiating, with the evidence the case needs.",
    ),
    "next": Label("之后:{}。", "Next: {}."),
    "refused_state": Label("「{}」时不能这样做。", "Not possible while the case is '{}'."),
    "refused_image": Label(
        "「{}」必须上传至少一张图片或视频凭证。", "'{}' needs at least one photo or video."
    ),
    "refused_reason": Label(
        "「{}」不适用于这个售后单(商品、售后类型或收货情况不符)。",
        "'{}' does not fit this case (goods, request type or delivery do not match).",
    ),
    "refused_amount": Label(
        "修改金额必须大于 0、低于申请金额。",
        "The new amount must be above 0 and below the request.",
    ),
}
"""Why the system answers a quiz option the way it does, by case."""

STORIES: Final[dict[str, Label]] = {
    "virtual_served_invite_cancel.jsonl": Label(
        "买家买了 10 节线上课,已经全部上完,现在说:「不想要了,给我退款。」",
        "The buyer bought a 10-lesson online course and attended every lesson. Now: "
        "'I don't want it any more, refund me.'",
    ),
    "virtual_partial_refund.jsonl": Label(
        "买家买了 10 节线上课,上了 5 节后说:「不想继续上了,全部退款。」",
        "The buyer bought a 10-lesson online course and, after 5 lessons: 'I want to stop; "
        "refund it all.'",
    ),
    "virtual_direct_rejection.jsonl": Label(
        "买家上完了全部课程,仍申请七天无理由退款。",
        "The buyer finished the whole course and still asks for a no-reason refund.",
    ),
    "fresh_quality_evidence_refund.jsonl": Label(
        "买家买了一箱桃子,申请退款:「有几个坏了。」但没有上传照片。",
        "The buyer bought a box of peaches and asks for a refund: 'some are rotten', with no "
        "photo.",
    ),
    "plants_partial_damage_refund.jsonl": Label(
        "买家买了一盆绿植,申请全额退款:「花盆碎了。」",
        "The buyer bought a potted plant and asks for a full refund: 'the pot is broken.'",
    ),
    "custom_defensible_rejection.jsonl": Label(
        "买家定做了一件刻字的商品,现在说:「不想要了。」",
        "The buyer ordered an engraved, made-to-order item and now says: 'I changed my mind.'",
    ),
    "fresh_direct_rejection.jsonl": Label(
        "买家买了生鲜,申请七天无理由退款。",
        "The buyer bought fresh food and asks for a no-reason refund.",
    ),
    "agreed_cancel_accept.jsonl": Label(
        "买家说商品与描述不符。你在聊天里给买家补发了赠品,买家答应取消售后。",
        "The buyer says the item is not as described. In the chat you reshipped the free gift, "
        "and the buyer agreed to cancel the request.",
    ),
    "agreed_cancel_rejection_with_proof.jsonl": Label(
        "买家说商品与描述不符。你们在聊天里谈好取消售后,你还转账做了补偿。",
        "The buyer says the item is not as described. You agreed in the chat to cancel the "
        "request, and you paid a compensation.",
    ),
    "agreed_cancel_direct_rejection.jsonl": Label(
        "买家说商品与描述不符,在聊天里答应了取消,但售后申请还在。",
        "The buyer says the item is not as described and agreed in the chat to cancel, but the "
        "request is still open.",
    ),
}
"""What the buyer said in each shipped history, told as the merchant hears it."""

CONSOLE_PATH: Final = ("售后管理", "售后处理", "售后处理列表", "协商")
"""The shop console's menu path to the negotiation form, in the console's own (Chinese) words."""

CONSOLE_STEPS: Final[dict[str, str]] = {
    "type": "协商类型({})",
    "reason": "协商说明({})",
    "message": "商家留言",
    "upload_required": "上传图片凭证(必填)",
    "upload_optional": "上传图片凭证(选填)",
    "submit": "提交",
}
"""The negotiation form's fields as the console names them; ``{}`` takes the chosen value."""

ADVICE: Final[dict[str, Label]] = {
    "card": Label("系统建议", "What the advisor says"),
    "card_note": Label(
        "每到商家处理的节点,系统按商家指南给出的建议(与命令行 aftersales advise 相同)。",
        "At each of the merchant's turns, the advice the merchant guide gives (the same as the "
        "aftersales advise command).",
    ),
    "turn": Label("{} · {}", "{} · {}"),
    "knows": Label("你知道的", "What you know"),
    "knows_nothing": Label("售后单之外没有其他信息", "Nothing beyond the case itself"),
    "move": Label("建议", "Advice"),
    "why": Label("为什么", "Why"),
    "evidence": Label("凭证清单", "Evidence checklist"),
    "avoid": Label("切勿", "Never"),
    "for_move": Label("随本次操作上传", "upload with this move"),
    "for_rejection": Label("留存,日后拒绝时需要", "keep it for a rejection later"),
    "on_file": Label("之前已上传", "already uploaded"),
    "amount": Label(
        ",金额由你填写(低于申请金额)", ", with an amount you fill in (below the request)"
    ),
    "tracking": Label(",填写物流单号", ", with the tracking number"),
    "reject_on_file": Label(
        "拒绝(所需凭证之前已随协商上传)", "Reject (the evidence it needs is already uploaded)"
    ),
}
"""The advisor's card beside each scenario's picture."""

SITUATION_LABELS: Final[dict[str, Label]] = {
    "served=full": Label("服务已在承诺周期内全部完成", "the service was fully delivered in time"),
    "served=partial": Label("服务只完成了一部分", "the service was partly delivered"),
    "served=none": Label("服务尚未提供", "the service was not delivered"),
    "agreed_offline": Label("买家已在聊天中同意取消", "the buyer agreed in the chat to cancel"),
    "compensated": Label(
        "已补偿买家(补发、赠品或打款)", "you compensated the buyer (reshipment, gift or payment)"
    ),
    "buyer_evidence=confirmed": Label("买家的凭证属实", "the buyer's evidence checks out"),
    "buyer_evidence=partly": Label(
        "凭证显示只有部分商品有问题", "the evidence shows only part of the goods affected"
    ),
    "buyer_evidence=disputed": Label("买家的凭证与事实不符", "the buyer's evidence is untrue"),
}
"""What the merchant knows beyond the case (``aftersales.Situation``), value by value."""
