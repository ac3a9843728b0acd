// Package iisconfig reads applicationHost.config and answers, for any
// configuration path such as "Default Web Site/Altiris/NS/Agent", the
// authentication settings IIS would actually use there, and where each value
// came from.
//
// # Reading a configuration
//
// [ParseFile] (or [Parse] for a reader, [ParseWith] for options) reads the
// file with etree and builds a model: [Config.Sites] with their bindings and
// applications, [Config.AppPools] with <applicationPoolDefaults> applied, and
// every <location> tag ([Config.Locations]). Bad input yields a *[ParseError]
// with the line and byte offset: malformed XML (typographic quotes pasted
// from a document are named as the likely cause), or [ErrNotApplicationHost]
// for another file, refined as [ErrWebConfig] for a web.config and
// [ErrFragment] for an excerpt without <configuration> (a bare <location>,
// <system.webServer> or <site>, as documentation shows them); problems IIS itself would tolerate or
// reject at run time become [Warning] values with a [Locator]: an application
// naming an undefined pool, duplicate site ids or names, a <location> path
// naming no site, two <location> tags differing only by case, a tag with both
// overrideMode and allowOverride, invalid attribute values. Files saved as
// UTF-16 (with or without a byte-order mark) or with a UTF-8 byte-order mark
// are accepted.
//
// Passwords are never kept: every password attribute (application pool,
// virtual directory, anonymous user) is overwritten before the XML is parsed,
// so no value, %v rendering or JSON of this package can reveal one.
//
// # Effective settings
//
// [Config.Effective] takes a path "Site/app/dir" and returns [Settings]: the
// effective windowsAuthentication ([WindowsAuth], including providers in
// order and [ExtendedProtection]), anonymousAuthentication, basicAuthentication
// and digestAuthentication, the application and its pool, the site's
// bindings, and the [DecryptingAccount]. IIS's rules are applied in order:
//
//   - the schema default (see [DefaultSchema]; authPersistNonNTLM is false,
//     useKernelMode true, anonymous enabled with IUSR);
//   - the server-level section (root <system.webServer> and <location path="">);
//   - every <location> whose path is the target or an ancestor of it by whole
//     segments ("Site/Alt" does not apply to "Site/Altiris"), compared
//     case-insensitively, nearest last;
//   - the providers and extendedProtection spn collections merge: add appends,
//     remove deletes, clear drops what was inherited;
//   - a location with inheritInChildApplications="false" does not flow into
//     applications nested below its path.
//
// [Config.Applications] does this for every application root and every path a
// <location> tag names (a tag naming no site is listed with an empty Site).
// Location tags are indexed by normalised path once, so resolving a path costs
// a few map lookups regardless of how many tags the file has.
//
// # Origins
//
// Every effective value has an [Origin]: schema default, server level, or the
// <location> path that set it, with a [Locator] for the element. Get it with
// [Settings.Origin], for example s.Origin("windowsAuthentication",
// "authPersistNonNTLM"), and cite it with [Config.Describe]:
//
//	applicationHost.config:412 (location "Default Web Site/Altiris")
//
// Line numbers are computed only when asked for ([Config.Line] builds a table
// on its first call), so parsing stays as cheap as reading the XML.
//
// # The decrypting account
//
// Which account's keys decrypt a Kerberos service ticket, and must therefore
// own the HTTP SPNs, follows from useKernelMode, useAppPoolCredentials and the
// pool identity (Microsoft "Troubleshoot Kerberos failures"; KB 929650):
// kernel mode without useAppPoolCredentials always uses the computer account;
// a SpecificUser pool's account is used in user mode or with
// useAppPoolCredentials=true; ApplicationPoolIdentity, NetworkService and
// LocalSystem map to the computer account; LocalService is reported as
// [Unsupported]. A computer account's HOST/name SPN also covers HTTP/name.
//
// # web.config files
//
// [ParseWebConfig] reads a site's or application's web.config for its
// configuration path, and [Config.WithWebConfigs] layers such files below
// applicationHost.config as IIS merges them: applicationHost.config (server
// level and its <location> tags) first, then the web.config files from the
// site root down. A web.config may set an authentication section only where
// applicationHost.config unlocks it (overrideModeDefault="Deny" is the
// default; <location overrideMode="Allow"> unlocks a path): a locked one is
// not applied and is reported as [WarnLockedSection] and in
// [Settings].WebConfigErrors, since IIS answers with HTTP 500.19. Values a
// web.config sets have an [Origin] of kind [WebConfigFile] naming the file
// and line.
//
// # Simulating changes
//
// [Config.Apply] returns a new Config with [Edit] values applied to an
// in-memory copy of the document, placed as `appcmd set config ...
// /commit:apphost` would write them, so a remediation can be checked with
// [Config.Effective] before anyone touches the server. Nothing is written to
// disk; an edit that cannot be made is an *[EditError].
//
// # Schema files
//
// [LoadSchema] reads Microsoft's schema files (%windir%\System32\inetsrv\config\schema\*.xml)
// from a directory so that defaults follow the server's own schema (IIS 7.0's
// NetworkService pool identity, for example); pass the result in
// [Options].Schema.
package iisconfig
