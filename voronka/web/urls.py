from django.contrib.auth import views as auth_views
from django.urls import path

from .views import board, deals, lists, moves, settings_pipelines, settings_users, tasks

app_name = "web"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html",
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Board
    path("", board.board, name="board"),
    path("board/<int:pipeline_id>/", board.board, name="board_pipeline"),
    path("board/<int:pipeline_id>/stages/<int:stage_id>/cards/", board.board_more,
         name="board_more"),
    path("board/<int:pipeline_id>/sources/", board.board_source_options, name="board_sources"),
    # Deals
    path("deals/", lists.deal_list, name="deal_list"),
    path("deals/export.csv", lists.deal_export, name="deal_export"),
    path("deals/new/", deals.deal_new, name="deal_new"),
    path("deals/<int:deal_id>/", deals.deal_detail, name="deal"),
    path("deals/<int:deal_id>/edit/", deals.deal_edit, name="deal_edit"),
    path("deals/<int:deal_id>/move/", moves.deal_move_view, name="deal_move"),
    path("deals/<int:deal_id>/move-to/", moves.deal_move_dialog, name="deal_move_dialog"),
    path("deals/<int:deal_id>/facts/", moves.deal_facts, name="deal_facts"),
    path("deals/<int:deal_id>/win/", moves.deal_win_view, name="deal_win"),
    path("deals/<int:deal_id>/archive/", moves.deal_archive_view, name="deal_archive"),
    path("deals/<int:deal_id>/reopen/", moves.deal_reopen_view, name="deal_reopen"),
    path("deals/<int:deal_id>/correct/", moves.deal_correct_view, name="deal_correct"),
    path("deals/<int:deal_id>/confirm/<int:requirement_id>/", deals.deal_confirm,
         name="deal_confirm"),
    path("deals/<int:deal_id>/contacts/", deals.deal_contact_add, name="deal_contact_add"),
    path("deals/<int:deal_id>/contacts/<int:contact_id>/remove/", deals.deal_contact_remove,
         name="deal_contact_remove"),
    path("deals/<int:deal_id>/company/", deals.deal_company_set, name="deal_company"),
    path("deals/<int:deal_id>/tasks/", deals.deal_task_add, name="deal_task_add"),
    path("deals/<int:deal_id>/notes/", deals.deal_note_add, name="deal_note_add"),
    path("deals/<int:deal_id>/payments/", deals.deal_payment_add, name="deal_payment_add"),
    path("deals/<int:deal_id>/calls/", deals.deal_call_add, name="deal_call_add"),
    # Tasks
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/<int:task_id>/done/", tasks.task_done, name="task_done"),
    path("tasks/wording/", tasks.task_wording, name="task_wording"),
    # Contacts and companies
    path("contacts/", lists.contact_list, name="contact_list"),
    path("contacts/new/", lists.contact_new, name="contact_new"),
    path("contacts/<int:contact_id>/", lists.contact_detail, name="contact"),
    path("companies/", lists.company_list, name="company_list"),
    path("companies/new/", lists.company_new, name="company_new"),
    path("companies/<int:company_id>/", lists.company_detail, name="company"),
    # Settings: pipelines
    path("settings/", settings_pipelines.settings_home, name="settings"),
    path("settings/pipelines/new/", settings_pipelines.pipeline_new, name="pipeline_new"),
    path("settings/pipelines/<int:pipeline_id>/", settings_pipelines.pipeline_edit,
         name="pipeline_edit"),
    path("settings/pipelines/<int:pipeline_id>/lint/", settings_pipelines.pipeline_lint_view,
         name="pipeline_lint"),
    path("settings/pipelines/<int:pipeline_id>/stages/", settings_pipelines.stage_add,
         name="stage_add"),
    path("settings/pipelines/<int:pipeline_id>/order/", settings_pipelines.stage_order,
         name="stage_order"),
    path("settings/pipelines/<int:pipeline_id>/reasons/", settings_pipelines.reason_add,
         name="reason_add"),
    path("settings/pipelines/<int:pipeline_id>/fields/", settings_pipelines.field_add,
         name="field_add"),
    path("settings/stages/<int:stage_id>/", settings_pipelines.stage_edit, name="stage_edit"),
    path("settings/stages/<int:stage_id>/delete/", settings_pipelines.stage_remove,
         name="stage_delete"),
    path("settings/stages/<int:stage_id>/requirements/", settings_pipelines.requirement_add,
         name="requirement_add"),
    path("settings/requirements/<int:requirement_id>/delete/",
         settings_pipelines.requirement_remove, name="requirement_delete"),
    # Settings: users and teams
    path("settings/users/", settings_users.user_list, name="user_list"),
    path("settings/users/<int:user_id>/", settings_users.user_edit, name="user_edit"),
    path("settings/teams/", settings_users.team_add, name="team_add"),
]
