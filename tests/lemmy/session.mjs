// A scripted session of lemmy-js-client (the client Lemmy's own web UI and several apps
// use) against a running Kindred: two members register and log in, list and follow
// communities, post, comment, reply to a comment, search, like, save, resolve links,
// read their unread counts and replies, edit and delete, report; a moderator lists and
// resolves the report, locks the post and removes a comment, the others see it and the
// modlog; then they log out. Every answer is kept, and at the end the one account that is a
// member of two communities must appear there as two unrelated persons in all of them.
//
// node session.mjs BASE_URL HANDLE_A HANDLE_B PASSPHRASE ADMIN_HANDLE
// (the admin, who moderates every board, logs in with the same passphrase)
// Prints one line per step; exit code 0 when every assertion held.

import assert from "node:assert/strict";
import { LemmyHttp } from "lemmy-js-client";

const [baseUrl, handleA, handleB, passphrase, adminHandle] = process.argv.slice(2);
if (!adminHandle) {
  console.error("usage: node session.mjs BASE_URL HANDLE_A HANDLE_B PASSPHRASE ADMIN_HANDLE");
  process.exit(2);
}

const answers = []; // every JSON answer, for the anonymity check at the end

function client(jwt) {
  const headers = jwt ? { Authorization: `Bearer ${jwt}` } : {};
  // Keep each answer; lemmy-js-client reads it with response.json(), so hand it a copy.
  const fetchFunction = async (url, init) => {
    const response = await fetch(url, init);
    const text = await response.text();
    try {
      answers.push(JSON.parse(text));
    } catch {
      // not JSON: the client reports it as an error itself
    }
    return new Response(text, { status: response.status, headers: response.headers });
  };
  return new LemmyHttp(baseUrl, { headers, fetchFunction });
}

function step(name) {
  console.log(`ok ${name}`);
}

async function refused(promise, code) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.message, code);
    return true;
  });
}

const visitor = client();

// 1. The site, as an app reads it before anyone logs in.
const site = await visitor.getSite();
assert.match(site.version, /^0\.19/);
assert.equal(site.site_view.local_site.enable_downvotes, false);
assert.equal(site.site_view.local_site.registration_mode, "Open");
assert.deepEqual(site.admins, []);
assert.equal(site.my_user, undefined);
step("site");

// 2. Two members register, then log in (each login is a new token).
for (const handle of [handleA, handleB]) {
  const registered = await visitor.register({
    username: handle,
    password: passphrase,
    password_verify: passphrase,
  });
  assert.equal(typeof registered.jwt, "string");
}
await refused(
  visitor.login({ username_or_email: handleA, password: "not the passphrase" }),
  "incorrect_login",
);
const jwtA = (await visitor.login({ username_or_email: handleA, password: passphrase })).jwt;
const jwtB = (await visitor.login({ username_or_email: handleB, password: passphrase })).jwt;
const a = client(jwtA);
const b = client(jwtB);
const siteA = await a.getSite();
assert.equal(siteA.my_user.local_user_view.person.name, handleA);
step("register and log in");

// 3. Communities: list, get, follow.
const listed = await a.listCommunities({ type_: "Local", sort: "New", limit: 50 });
const byName = Object.fromEntries(listed.communities.map((c) => [c.community.name, c]));
assert.ok(byName.recovery && byName.grief, "both boards are listed");
const recovery = byName.recovery.community;
const grief = byName.grief.community;
const got = await a.getCommunity({ name: "recovery" });
assert.equal(got.community_view.community.id, recovery.id);
assert.equal(got.community_view.subscribed, "NotSubscribed");
await refused(
  a.createPost({ name: "Too soon", body: "Not a member yet", community_id: recovery.id }),
  "not_a_member",
);
for (const [member, community] of [
  [a, recovery],
  [a, grief],
  [b, recovery],
]) {
  const followed = await member.followCommunity({ community_id: community.id, follow: true });
  assert.equal(followed.community_view.subscribed, "Subscribed");
}
const mine = await a.listCommunities({ type_: "Subscribed" });
assert.deepEqual(mine.communities.map((c) => c.community.name).sort(), ["grief", "recovery"]);
step("communities");

// 4. A post, seen by the other member.
const created = await a.createPost({
  name: "One week today",
  body: "It has been **one week**.",
  community_id: recovery.id,
});
const postId = created.post_view.post.id;
assert.equal(created.post_view.post.body, "It has been **one week**.");
assert.equal(created.post_view.counts.comments, 0);
const listing = await b.getPosts({ community_name: "recovery", sort: "New", limit: 10 });
assert.ok(listing.posts.some((p) => p.post.id === postId), "B sees A's post");
const fetched = await b.getPost({ id: postId });
assert.equal(fetched.post_view.post.name, "One week today");
step("post");

// 5. A comment, and a reply to it.
const comment = await b.createComment({ post_id: postId, content: "Well done, truly." });
const commentId = comment.comment_view.comment.id;
assert.equal(comment.comment_view.comment.path, `0.${commentId}`);
const reply = await a.createComment({
  post_id: postId,
  parent_id: commentId,
  content: "Thank you, it helps to hear.",
});
const replyId = reply.comment_view.comment.id;
assert.equal(reply.comment_view.comment.path, `0.${commentId}.${replyId}`);
const tree = await b.getComments({ post_id: postId, max_depth: 8, sort: "Old", type_: "All" });
assert.deepEqual(
  tree.comments.map((c) => c.comment.id),
  [commentId, replyId],
);
assert.equal(tree.comments[0].counts.child_count, 1);
const topOnly = await b.getComments({ post_id: postId, max_depth: 1 });
assert.deepEqual(
  topOnly.comments.map((c) => c.comment.id),
  [commentId],
);
step("comment and reply");

// 5b. Search finds the post and the comment.
const searched = await b.search({ q: "week", type_: "All", listing_type: "All" });
assert.ok(searched.posts.some((p) => p.post.id === postId), "search finds the post");
const searchedComments = await b.search({ q: "truly", type_: "Comments" });
assert.deepEqual(
  searchedComments.comments.map((c) => c.comment.id),
  [commentId],
);
step("search");

// 6. Likes are supportive reactions; downvotes are refused.
const liked = await b.likePost({ post_id: postId, score: 1 });
assert.equal(liked.post_view.my_vote, 1);
assert.equal(liked.post_view.counts.score, 1);
assert.equal(liked.post_view.counts.downvotes, 0);
await refused(b.likePost({ post_id: postId, score: -1 }), "downvotes_are_disabled");
const likedComment = await b.likeComment({ comment_id: replyId, score: 1 });
assert.equal(likedComment.comment_view.counts.upvotes, 1);
const unliked = await b.likeComment({ comment_id: replyId, score: 0 });
assert.equal(unliked.comment_view.counts.upvotes, 0);
step("likes");

// 6b. Saving: kept for B alone, listed with saved_only (person 0 is B's my_user).
const savedPost = await b.savePost({ post_id: postId, save: true });
assert.equal(savedPost.post_view.saved, true);
const savedComment = await b.saveComment({ comment_id: replyId, save: true });
assert.equal(savedComment.comment_view.saved, true);
assert.equal((await a.getPost({ id: postId })).post_view.saved, false, "A did not save it");
const savedPosts = await b.getPosts({ saved_only: true });
assert.deepEqual(
  savedPosts.posts.map((p) => p.post.id),
  [postId],
);
const savedComments = await b.getComments({ saved_only: true });
assert.deepEqual(
  savedComments.comments.map((c) => c.comment.id),
  [replyId],
);
const meB = (await b.getSite()).my_user.local_user_view.person;
const savedByMe = await b.getPersonDetails({ person_id: meB.id, saved_only: true });
assert.deepEqual(
  savedByMe.posts.map((p) => p.post.id),
  [postId],
);
assert.deepEqual(
  savedByMe.comments.map((c) => c.comment.id),
  [replyId],
);
await b.saveComment({ comment_id: replyId, save: false });
assert.equal((await b.getComments({ saved_only: true })).comments.length, 0);
await refused(a.savePost({ post_id: 999999999, save: true }), "couldnt_find_post");
step("save");

// 6c. Links resolve: our own addresses for anyone, unknown ones are not found.
const byLink = await visitor.resolveObject({ q: created.post_view.post.ap_id });
assert.equal(byLink.post.post.id, postId);
const communityByLink = await a.resolveObject({ q: recovery.actor_id });
assert.equal(communityByLink.community.community.id, recovery.id);
const commentByLink = await visitor.resolveObject({ q: reply.comment_view.comment.ap_id });
assert.equal(commentByLink.comment.comment.id, replyId);
await refused(
  visitor.resolveObject({ q: "https://nowhere.invalid/c/nothing" }),
  "couldnt_find_object",
);
step("resolve links");

// 7. Unread counts and replies come from Kindred's notices.
const unreadA = await a.getUnreadCount();
assert.equal(unreadA.replies, 1, "B's comment answers A's post");
const unreadB = await b.getUnreadCount();
assert.equal(unreadB.replies, 1, "A's reply answers B's comment");
const repliesB = await b.getReplies({ sort: "New", unread_only: true });
assert.deepEqual(
  repliesB.replies.map((r) => r.comment.id),
  [replyId],
);
assert.equal(repliesB.replies[0].comment_reply.read, false);
await b.markAllAsRead();
assert.equal((await b.getUnreadCount()).replies, 0);
step("unread count and replies");

// 8. The same account in a second community.
const elsewhere = await a.createPost({
  name: "Missing her today",
  body: "Some days are heavier.",
  community_id: grief.id,
});
const personInRecovery = created.post_view.creator;
const personInGrief = elsewhere.post_view.creator;
for (const key of ["id", "name", "display_name", "actor_id", "published"]) {
  assert.notEqual(personInRecovery[key], personInGrief[key], `persons differ in ${key}`);
}
// To A alone, my_user tells which person A is in each community it follows.
const followsA = (await a.getSite()).my_user.follows;
const followerIn = Object.fromEntries(followsA.map((f) => [f.community.id, f.follower.id]));
assert.equal(followerIn[recovery.id], personInRecovery.id);
assert.equal(followerIn[grief.id], personInGrief.id);
step("second community");

// 9. Edits and deletions of one's own words; a person is a persona within its board.
const edited = await a.editPost({ post_id: postId, name: "One week and a day" });
assert.equal(edited.post_view.post.name, "One week and a day");
assert.equal(edited.post_view.post.body, "It has been **one week**.");
await refused(b.editPost({ post_id: postId, body: "Not mine" }), "not_allowed");
const changed = await b.editComment({ comment_id: commentId, content: "Well done, truly!" });
assert.equal(changed.comment_view.comment.content, "Well done, truly!");
const removed = await b.deleteComment({ comment_id: commentId, deleted: true });
assert.equal(removed.comment_view.comment.deleted, true);
assert.equal(removed.comment_view.comment.content, "");
const details = await b.getPersonDetails({ person_id: created.post_view.creator.id });
assert.equal(details.person_view.person.actor_id, created.post_view.creator.actor_id);
await refused(b.createPrivateMessage({ content: "hi", recipient_id: 1 }), "private_messages_disabled");
step("edit and delete");

// 10. B reports A's reply; a moderator removes it and locks the post; B sees both.
const report = await b.createCommentReport({ comment_id: replyId, reason: "Not kind" });
assert.equal(report.comment_report_view.comment_report.reason, "Not kind");
assert.equal(report.comment_report_view.comment.id, replyId);
await refused(b.lockPost({ post_id: postId, locked: true }), "couldnt_find_post");
const jwtAdmin = (await visitor.login({ username_or_email: adminHandle, password: passphrase }))
  .jwt;
const moderator = client(jwtAdmin);
const reportsSeen = await moderator.listCommentReports({ unresolved_only: true });
const seenReport = reportsSeen.comment_reports.find((r) => r.comment.id === replyId);
assert.ok(seenReport, "the moderator sees B's report");
// The reporter is B's person in that community, never the account.
assert.equal(seenReport.creator.id, comment.comment_view.creator.id);
assert.equal(seenReport.comment_creator.id, reply.comment_view.creator.id);
assert.equal((await moderator.getReportCount({})).comment_reports, 1);
assert.deepEqual((await b.listCommentReports({})).comment_reports, [], "B moderates nothing");
const locked = await moderator.lockPost({ post_id: postId, locked: true });
assert.equal(locked.post_view.post.locked, true);
const removedByMod = await moderator.removeComment({
  comment_id: replyId,
  removed: true,
  reason: "Please be kind",
});
assert.equal(removedByMod.comment_view.comment.removed, true);
const seenByB = await b.getPost({ id: postId });
assert.equal(seenByB.post_view.post.locked, true);
const commentsSeen = await b.getComments({ post_id: postId });
const removedSeen = commentsSeen.comments.find((c) => c.comment.id === replyId);
assert.equal(removedSeen.comment.removed, true);
assert.equal(removedSeen.comment.content, "");
await refused(b.createComment({ post_id: postId, content: "Still open?" }), "not_allowed");
const resolvedReport = await moderator.resolveCommentReport({
  report_id: seenReport.comment_report.id,
  resolved: true,
});
assert.equal(resolvedReport.comment_report_view.comment_report.resolved, true);
assert.equal((await moderator.getReportCount({})).comment_reports, 0);
const modlog = await visitor.getModlog({ community_id: recovery.id });
assert.ok(modlog.locked_posts.some((entry) => entry.post.id === postId));
assert.equal(modlog.removed_comments.length, 1);
assert.equal(modlog.removed_comments[0].moderator, undefined, "moderators are not named");
step("report and moderation");

// 11. Logging out ends the token.
await a.logout();
await refused(a.getUnreadCount(), "not_logged_in");
step("log out");

// 12. Anonymity over every answer of the session: any person object seen with one of
// A's two person ids must carry exactly that persona's fields, and nothing seen anywhere
// may pair the two (no person has a field value of the other, no answer names A's handle
// outside A's own my_user).
const persons = [];
function collect(value) {
  if (Array.isArray(value)) {
    value.forEach(collect);
  } else if (value && typeof value === "object") {
    if ("actor_id" in value && "bot_account" in value) persons.push(value);
    Object.values(value).forEach(collect);
  }
}
answers.forEach(collect);
const one = persons.filter((p) => p.id === personInRecovery.id);
const two = persons.filter((p) => p.id === personInGrief.id);
assert.ok(one.length > 1 && two.length > 0, "A's persons appear in the answers");
for (const person of one) {
  assert.equal(person.actor_id, personInRecovery.actor_id);
  assert.equal(person.name, personInRecovery.name);
}
for (const person of two) {
  assert.equal(person.actor_id, personInGrief.actor_id);
}
const linking = ["name", "display_name", "actor_id", "published"];
for (const key of linking) {
  const values = new Set(one.map((p) => p[key]));
  assert.ok(!two.some((p) => values.has(p[key])), `no shared ${key}`);
}
for (const answer of answers) {
  const text = JSON.stringify({ ...answer, my_user: undefined });
  assert.ok(!text.includes(handleA), "A's handle appears only in A's own my_user");
}
step(`anonymity over ${answers.length} answers`);

console.log("session passed");
