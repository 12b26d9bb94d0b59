//! WeCom-only events (inventory §3.3), plus the WeCom events wechatpy lacks.
//!
//! `AgentID` is common to WeCom callbacks and is `Message::agent`, not a field here.

use alloc::string::String;
use alloc::vec::Vec;

use super::fields::*;
use super::typed;
use crate::xml::Raw;

typed! {
    /// `enter_agent`: a member opened the agent (no fields beyond `Message::agent`).
    EnterAgentEvent {}
}

typed! {
    /// `batch_job_result`: an asynchronous job finished. wechatpy registers two classes for
    /// this key (`BatchJobResultEvent` with `err_code`/`err_msg`, shadowed by `ExportEvent`);
    /// this carries both.
    ///
    /// <https://developer.work.weixin.qq.com/document/path/90240> (jobs) and
    /// <https://developer.work.weixin.qq.com/document/path/94946> (exports)
    BatchJobResultEvent {
        /// `BatchJob`, raw.
        batch_job: Option<Raw> = nested("BatchJob"),
        /// `BatchJob.JobId`.
        job_id: Option<String> = path(&["BatchJob", "JobId"]),
        /// `BatchJob.JobType` (`sync_user`, `replace_user`, `invite_user`, `replace_party`,
        /// `export_user`, ...).
        job_type: Option<String> = path(&["BatchJob", "JobType"]),
        /// `BatchJob.ErrCode` (wechatpy returns the string).
        err_code: Option<i64> = path_int(&["BatchJob", "ErrCode"]),
        /// `BatchJob.ErrMsg`.
        err_msg: Option<String> = path(&["BatchJob", "ErrMsg"]),
    }
}

typed! {
    /// `open_approval_change`: a third-party approval changed state.
    OpenApprovalChangeEvent {
        /// `ApprovalInfo`, raw.
        approval_info: Option<Raw> = nested("ApprovalInfo"),
        /// `ApprovalInfo.ThirdNo`: the approval's number.
        third_no: Option<String> = path(&["ApprovalInfo", "ThirdNo"]),
        /// `ApprovalInfo.OpenSpName`.
        open_sp_name: Option<String> = path(&["ApprovalInfo", "OpenSpName"]),
        /// `ApprovalInfo.OpenTemplateId`.
        open_template_id: Option<String> = path(&["ApprovalInfo", "OpenTemplateId"]),
        /// `ApprovalInfo.OpenSpStatus`: 1 pending, 2 approved, 3 rejected, 4 withdrawn
        /// (wechatpy returns the string).
        open_sp_status: Option<i64> = path_int(&["ApprovalInfo", "OpenSpStatus"]),
        /// `ApprovalInfo.ApplyTime`, Unix seconds (wechatpy returns the string).
        apply_time: Option<u64> = path_uint(&["ApprovalInfo", "ApplyTime"]),
        /// `ApprovalInfo.ApplyUserName`.
        apply_user_name: Option<String> = path(&["ApprovalInfo", "ApplyUserName"]),
        /// `ApprovalInfo.ApplyUserId`.
        apply_user_id: Option<String> = path(&["ApprovalInfo", "ApplyUserId"]),
        /// `ApprovalInfo.ApplyUserParty`.
        apply_user_party: Option<String> = path(&["ApprovalInfo", "ApplyUserParty"]),
        /// `ApprovalInfo.ApplyUserImage`.
        apply_user_image: Option<String> = path(&["ApprovalInfo", "ApplyUserImage"]),
        /// `ApprovalInfo.ApprovalNodes`, raw.
        approval_nodes: Option<Raw> = nested_at(&["ApprovalInfo", "ApprovalNodes"]),
        /// `ApprovalInfo.NotifyNodes`, raw.
        notify_nodes: Option<Raw> = nested_at(&["ApprovalInfo", "NotifyNodes"]),
        /// `ApprovalInfo.approverstep`: the current approval step (wechatpy returns the
        /// string).
        approver_step: Option<i64> = path_int(&["ApprovalInfo", "approverstep"]),
    }
}

typed! {
    /// `taskcard_click`: a member clicked a task-card button.
    TaskCardClickEvent {
        /// `EventKey`: the button's key.
        event_key: Option<String> = text("EventKey"),
        /// `TaskId`.
        task_id: Option<String> = text("TaskId"),
    }
}

typed! {
    /// `change_external_contact`: an external contact (customer) changed. Which fields are
    /// present depends on `change_type`:
    ///
    /// | `ChangeType` | fields |
    /// | --- | --- |
    /// | `add_external_contact`, `add_half_external_contact` | `user_id`, `external_user_id`, `state`, `welcome_code` |
    /// | `edit_external_contact`, `del_follow_user` | `user_id`, `external_user_id` |
    /// | `del_external_contact` | `user_id`, `external_user_id`, `del_source` (`DELETE_BY_TRANSFER` when removed by a transfer) |
    /// | `transfer_fail` | `user_id`, `external_user_id`, `fail_reason` (`customer_refused`, `customer_limit_exceed`) |
    /// | `msg_audit_approved` | `user_id`, `external_user_id`, `welcome_code` |
    ///
    /// <https://developer.work.weixin.qq.com/document/path/92130>
    ChangeExternalContactEvent {
        /// `ChangeType`.
        change_type: Option<String> = text("ChangeType"),
        /// `WelcomeCode`: send a welcome message with it.
        welcome_code: Option<String> = text("WelcomeCode"),
        /// `State`: the "contact me" channel's state parameter.
        state: Option<String> = text("State"),
        /// `UserID`: the member.
        user_id: Option<String> = text("UserID"),
        /// `ExternalUserID`: the customer.
        external_user_id: Option<String> = text("ExternalUserID"),
        /// `Source`: why the customer was deleted.
        del_source: Option<String> = text("Source"),
        /// `FailReason`: why a transfer failed.
        fail_reason: Option<String> = text("FailReason"),
    }
}

typed! {
    /// `change_external_chat`: a customer group was created (`create`), changed (`update`) or
    /// dismissed (`dismiss`). wechatpy's fields are strings; the member list and versions
    /// come from the current documentation.
    ///
    /// <https://developer.work.weixin.qq.com/document/path/92130>
    ChangeExternalChatEvent {
        /// `ChangeType` (`create`, `update`, `dismiss`).
        change_type: Option<String> = text("ChangeType"),
        /// `UpdateDetail` (`add_member`, `del_member`, `change_owner`, `change_name`,
        /// `change_notice`).
        update_detail: Option<String> = text("UpdateDetail"),
        /// `ChatId`.
        chat_id: Option<String> = text("ChatId"),
        /// `JoinScene`: how members joined (`add_member`).
        join_scene: Option<String> = text("JoinScene"),
        /// `QuitScene`: how members left (`del_member`).
        quit_scene: Option<String> = text("QuitScene"),
        /// `MemChangeCnt`: how many members joined or left.
        mem_change_cnt: Option<String> = text("MemChangeCnt"),
        /// `MemChangeList.Item` (or a comma-separated `MemChangeList`): the members who joined
        /// or left (not in wechatpy).
        mem_change_list: Vec<String> = |raw: &Raw| match raw.get("MemChangeList") {
            Some(crate::xml::RawValue::Text(t)) => {
                t.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
            }
            Some(_) => texts(&["MemChangeList"], "Item")(raw),
            None => Vec::new(),
        },
        /// `LastMemVer`: the member-list version before the change (not in wechatpy).
        last_mem_ver: Option<String> = text("LastMemVer"),
        /// `CurMemVer`: the member-list version after the change (not in wechatpy).
        cur_mem_ver: Option<String> = text("CurMemVer"),
    }
}

typed! {
    /// `change_external_tag`: a customer tag or tag group was created, changed, deleted or
    /// reordered (`shuffle`).
    ///
    /// <https://developer.work.weixin.qq.com/document/path/92130>
    ChangeExternalTagEvent {
        /// `ChangeType` (`create`, `update`, `delete`, `shuffle`).
        change_type: Option<String> = text("ChangeType"),
        /// `Id`: the tag or tag group.
        tag_id: Option<String> = text("Id"),
        /// `TagType` (`tag`, `tag_group`).
        tag_type: Option<String> = text("TagType"),
    }
}

typed! {
    /// `sys_approval_change`: a built-in approval changed state.
    ///
    /// <https://developer.work.weixin.qq.com/document/path/91815>
    SysApprovalChangeEvent {
        /// `ApprovalInfo`, raw.
        approval_info: Option<Raw> = nested("ApprovalInfo"),
        /// `ApprovalInfo.SpNo`: the approval's number.
        sp_no: Option<String> = path(&["ApprovalInfo", "SpNo"]),
        /// `ApprovalInfo.SpName`.
        sp_name: Option<String> = path(&["ApprovalInfo", "SpName"]),
        /// `ApprovalInfo.TemplateId`.
        template_id: Option<String> = path(&["ApprovalInfo", "TemplateId"]),
        /// `ApprovalInfo.SpStatus`: 1 pending, 2 approved, 3 rejected, 4 withdrawn, 6 passed
        /// then withdrawn, 7 deleted, 10 paid (wechatpy returns the string).
        sp_status: Option<i64> = path_int(&["ApprovalInfo", "SpStatus"]),
        /// `ApprovalInfo.ApplyTime`, Unix seconds (wechatpy returns the string).
        apply_time: Option<u64> = path_uint(&["ApprovalInfo", "ApplyTime"]),
        /// `ApprovalInfo.Applyer.UserId`.
        apply_user_id: Option<String> = path(&["ApprovalInfo", "Applyer", "UserId"]),
        /// `ApprovalInfo.Applyer.Party`.
        apply_user_party: Option<String> = path(&["ApprovalInfo", "Applyer", "Party"]),
        /// `ApprovalInfo.SpRecord`, always a list (one per approval step).
        sp_record: Vec<Raw> = list(&["ApprovalInfo"], "SpRecord"),
        /// `ApprovalInfo.Notifyer`, always a list.
        notifyer: Vec<Raw> = list(&["ApprovalInfo"], "Notifyer"),
        /// `ApprovalInfo.Comments`, always a list.
        comments: Vec<Raw> = list(&["ApprovalInfo"], "Comments"),
        /// `ApprovalInfo.StatuChangeEvent`: what changed (1 submitted, 2 approved, ...;
        /// wechatpy returns the string).
        statu_change_event: Option<i64> = path_int(&["ApprovalInfo", "StatuChangeEvent"]),
    }
}

typed! {
    /// `kf_msg_or_event`: WeChat customer service has messages or events to fetch with
    /// `kf/sync_msg`.
    ///
    /// <https://developer.work.weixin.qq.com/document/path/94670> (`OpenKfId`:
    /// <https://developer.work.weixin.qq.com/document/31078>)
    KfMsgOrEventEvent {
        /// `Token`: the cursor token for `kf/sync_msg` (valid 10 minutes).
        token: Option<String> = text("Token"),
        /// `OpenKfId`: the customer-service account (not in wechatpy).
        open_kf_id: Option<String> = text("OpenKfId"),
    }
}

typed! {
    /// `modify_calendar` and `delete_calendar`.
    ///
    /// <https://developer.work.weixin.qq.com/document/path/93651>
    CalendarEvent {
        /// `CalId`.
        calendar_id: Option<String> = text("CalId"),
    }
}

typed! {
    /// `add_schedule`, `modify_schedule` and `delete_schedule`.
    ///
    /// <https://developer.work.weixin.qq.com/document/path/93651>
    ScheduleEvent {
        /// `CalId`.
        calendar_id: Option<String> = text("CalId"),
        /// `ScheduleId`.
        schedule_id: Option<String> = text("ScheduleId"),
    }
}

typed! {
    /// `book_meeting_room` and `cancel_meeting_room`.
    ///
    /// <https://developer.work.weixin.qq.com/document/path/95333>
    MeetingRoomEvent {
        /// `MeetingRoomId`.
        meeting_room_id: Option<i64> = int("MeetingRoomId"),
        /// `MeetingId`.
        meeting_id: Option<String> = text("MeetingId"),
    }
}

typed! {
    /// `change_contact`: a member, department or tag changed (not in wechatpy). Which fields
    /// are present depends on `change_type`:
    ///
    /// | `ChangeType` | fields |
    /// | --- | --- |
    /// | `create_user`, `update_user` | `user_id`, `new_user_id` (update), `name`, `department`, `main_department`, `is_leader_in_dept`, `direct_leader`, `position`, `mobile`, `gender`, `email`, `biz_mail`, `status`, `avatar`, `alias`, `telephone`, `address`, `ext_attr` |
    /// | `delete_user` | `user_id` |
    /// | `create_party`, `update_party` | `id`, `name`, `parent_id`, `order` |
    /// | `delete_party` | `id` |
    /// | `update_tag` | `tag_id`, `add_user_items`, `del_user_items`, `add_party_items`, `del_party_items` |
    ///
    /// Members: <https://developer.work.weixin.qq.com/document/path/90970>;
    /// departments: <https://developer.work.weixin.qq.com/document/path/90971>;
    /// tags: <https://developer.work.weixin.qq.com/document/path/90972>.
    ChangeContactEvent {
        /// `ChangeType`.
        change_type: Option<String> = text("ChangeType"),
        /// `UserID`: the member.
        user_id: Option<String> = text("UserID"),
        /// `NewUserID`: the member's new userid, when it changed (`update_user`).
        new_user_id: Option<String> = text("NewUserID"),
        /// `OpenUserID`: the member's open userid (third-party apps).
        open_user_id: Option<String> = text("OpenUserID"),
        /// `Name`: the member's or the department's name.
        name: Option<String> = text("Name"),
        /// `Department`: the member's departments (comma-separated ids).
        department: Option<Vec<i64>> = comma_ints("Department"),
        /// `MainDepartment`.
        main_department: Option<i64> = int("MainDepartment"),
        /// `IsLeaderInDept`: 1 where the member leads the matching `department` entry.
        is_leader_in_dept: Option<Vec<i64>> = comma_ints("IsLeaderInDept"),
        /// `DirectLeader`: the member's direct leaders (comma-separated userids).
        direct_leader: Option<Vec<String>> = comma_list("DirectLeader"),
        /// `Position`.
        position: Option<String> = text("Position"),
        /// `Mobile`.
        mobile: Option<String> = text("Mobile"),
        /// `Gender`: 1 male, 2 female.
        gender: Option<i64> = int("Gender"),
        /// `Email`.
        email: Option<String> = text("Email"),
        /// `BizMail`.
        biz_mail: Option<String> = text("BizMail"),
        /// `Status`: 1 active, 2 disabled, 4 not yet active, 5 left.
        status: Option<i64> = int("Status"),
        /// `Avatar`.
        avatar: Option<String> = text("Avatar"),
        /// `Alias`.
        alias: Option<String> = text("Alias"),
        /// `Telephone`.
        telephone: Option<String> = text("Telephone"),
        /// `Address`.
        address: Option<String> = text("Address"),
        /// `ExtAttr.Item`, always a list (each `{Name, Type, Text|Web}`).
        ext_attr: Vec<Raw> = list(&["ExtAttr"], "Item"),
        /// `Id`: the department.
        id: Option<i64> = int("Id"),
        /// `ParentId`: the parent department.
        parent_id: Option<i64> = int("ParentId"),
        /// `Order`: the department's sort order.
        order: Option<i64> = int("Order"),
        /// `TagId`.
        tag_id: Option<i64> = int("TagId"),
        /// `AddUserItems`: members added to the tag (comma-separated userids).
        add_user_items: Option<Vec<String>> = comma_list("AddUserItems"),
        /// `DelUserItems`: members removed from the tag.
        del_user_items: Option<Vec<String>> = comma_list("DelUserItems"),
        /// `AddPartyItems`: departments added to the tag (comma-separated ids).
        add_party_items: Option<Vec<i64>> = comma_ints("AddPartyItems"),
        /// `DelPartyItems`: departments removed from the tag.
        del_party_items: Option<Vec<i64>> = comma_ints("DelPartyItems"),
    }
}

/// One answered question of a [`TemplateCardEvent`] (`SelectedItems.SelectedItem`).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct SelectedItem {
    /// `QuestionKey`.
    pub question_key: Option<String>,
    /// `OptionIds.OptionId`: the chosen options.
    pub option_ids: Vec<String>,
}

typed! {
    /// `template_card_event`: a member clicked a button or submitted a vote or a multiple
    /// choice on a template card (not in wechatpy).
    ///
    /// <https://developer.work.weixin.qq.com/document/path/90240>
    TemplateCardEvent {
        /// `EventKey`: the button's or submit button's key.
        event_key: Option<String> = text("EventKey"),
        /// `TaskId`: the card's task id.
        task_id: Option<String> = text("TaskId"),
        /// `CardType` (`button_interaction`, `vote_interaction`, `multiple_interaction`, ...).
        card_type: Option<String> = text("CardType"),
        /// `ResponseCode`: lets the card be updated once (valid 72 hours).
        response_code: Option<String> = text("ResponseCode"),
        /// `SelectedItems.SelectedItem`, always a list (votes and multiple choices).
        selected_items: Vec<SelectedItem> = |raw: &Raw| {
            items(raw, &["SelectedItems"], "SelectedItem")
                .map(|item| SelectedItem {
                    question_key: text("QuestionKey")(item),
                    option_ids: texts(&["OptionIds"], "OptionId")(item),
                })
                .collect()
        },
    }
}

typed! {
    /// `template_card_menu_event`: a member chose an entry of a template card's menu (not in
    /// wechatpy).
    ///
    /// <https://developer.work.weixin.qq.com/document/path/90240>
    TemplateCardMenuEvent {
        /// `EventKey`: the menu entry's key.
        event_key: Option<String> = text("EventKey"),
        /// `TaskId`: the card's task id.
        task_id: Option<String> = text("TaskId"),
        /// `CardType`.
        card_type: Option<String> = text("CardType"),
        /// `ResponseCode`: lets the card be updated once.
        response_code: Option<String> = text("ResponseCode"),
    }
}

typed! {
    /// `living_status_change`: a live stream created through the API changed state (not in
    /// wechatpy).
    ///
    /// <https://developer.work.weixin.qq.com/document/path/94145>
    LivingStatusChangeEvent {
        /// `LivingId`.
        living_id: Option<String> = text("LivingId"),
        /// `Status`: 0 scheduled, 1 live, 2 ended, 3 expired, 4 cancelled.
        status: Option<i64> = int("Status"),
    }
}
