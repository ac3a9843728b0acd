// Package iisconfig reads applicationHost.config and answers, for any
// configuration path such as "Default Web Site/Altiris/NS/Agent", the
// authentication settings IIS would actually use there.
package iisconfig
