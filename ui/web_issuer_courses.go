package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/talentchain/talentchain/courses"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
)

// The organisation's courses (/org/courses), through the Courses service:
// the catalogue entries it provides, their learners, results, completion
// (which issues the training certificate) and one-time invitations.

var errIssuerCourseNumber = fmt.Errorf("%w: hours, credits, capacity and score are whole numbers", errMalformedRequest)

// courseRoutes adds the organisation's course pages.
func (iw *issuerWeb) courseRoutes(mux *http.ServeMux, staff func(consoleHandler) http.HandlerFunc) {
	mux.HandleFunc("GET /org/courses", staff(iw.courses))
	mux.HandleFunc("POST /org/courses", staff(iw.createCourse))
	mux.HandleFunc("GET /org/courses/{code}", staff(iw.course))
	mux.HandleFunc("POST /org/courses/{code}", staff(iw.updateCourse))
	mux.HandleFunc("POST /org/courses/{code}/enrol", staff(iw.enrol))
	mux.HandleFunc("POST /org/courses/{code}/invite", staff(iw.invite))
	mux.HandleFunc("POST /org/courses/{code}/enrolments/{learner}/result", staff(iw.recordResult))
	mux.HandleFunc("POST /org/courses/{code}/enrolments/{learner}/complete", staff(iw.complete))
}

func issCourseHref(code string) string { return "/org/courses/" + url.PathEscape(code) }

func issCourseRow(lang i18n.Lang, c courses.Course) pages.CourseRow {
	return pages.CourseRow{Code: c.Code, Href: issCourseHref(c.Code), Title: lang.Pick(c.Title.Zh, c.Title.En), Sector: c.Sector,
		Status: string(c.Status), Hours: c.Hours, Credits: c.Credits, Capacity: c.Capacity}
}

func issCourseForm(c courses.Course) pages.CourseForm {
	return pages.CourseForm{Code: c.Code, TitleZh: c.Title.Zh, TitleEn: c.Title.En, Sector: c.Sector, Skills: strings.Join(c.Skills, ";"),
		Hours: strconv.Itoa(c.Hours), Credits: strconv.Itoa(c.Credits), Capacity: strconv.Itoa(c.Capacity),
		Start: c.Schedule.Start, End: c.Schedule.End, Status: string(c.Status), Certificate: c.Certificate, Editing: true}
}

func (iw *issuerWeb) courses(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeRead); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	p := iw.page(w, r, "issuer.courses.title")
	v := pages.CoursesView{Nav: iw.nav(r, p.Lang, s, "courses"), CanEdit: s.can(issuer.ScopeIssue),
		Form: pages.CourseForm{Status: "open", Hours: "32", Credits: "0", Capacity: "0"}}
	q := courses.Query{Provider: s.Org, Limit: 500}
	for range 20 { // at most 10,000 courses
		page, err := iw.h.courses.Search(r.Context(), q)
		if err != nil {
			iw.h.webFail(w, r, err)
			return
		}
		for _, c := range page.Courses {
			v.Courses = append(v.Courses, issCourseRow(p.Lang, c))
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	iw.h.render(w, r, pages.CoursesPage(p, v))
}

// courseFromForm reads the course form into c.
func courseFromForm(r *http.Request, c *courses.Course) error {
	num := func(name string) (int, error) {
		v := strings.TrimSpace(r.PostFormValue(name))
		if v == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("%w: %s %q", errIssuerCourseNumber, name, v)
		}
		return n, nil
	}
	var err error
	if c.Hours, err = num("hours"); err != nil {
		return err
	}
	if c.Credits, err = num("credits"); err != nil {
		return err
	}
	if c.Capacity, err = num("capacity"); err != nil {
		return err
	}
	c.Title = courses.LangText{Zh: strings.TrimSpace(r.PostFormValue("titleZh")), En: strings.TrimSpace(r.PostFormValue("titleEn"))}
	c.Sector = strings.TrimSpace(r.PostFormValue("sector"))
	c.Skills = nil
	for _, sk := range strings.Split(r.PostFormValue("skills"), ";") {
		if sk = strings.TrimSpace(sk); sk != "" {
			c.Skills = append(c.Skills, sk)
		}
	}
	c.Schedule.Start, c.Schedule.End = r.PostFormValue("start"), r.PostFormValue("end")
	c.Status = courses.Status(r.PostFormValue("status"))
	c.Certificate = r.PostFormValue("certificate")
	return nil
}

func (iw *issuerWeb) createCourse(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeIssue); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	c := courses.Course{Provider: s.Org, Code: strings.TrimSpace(r.PostFormValue("code"))}
	if o, err := iw.svc.Org(r.Context(), s.Org); err == nil {
		c.ProviderName = courses.LangText{Zh: o.Names.Zh, En: o.Names.En}
	}
	if err := courseFromForm(r, &c); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	created, err := iw.h.courses.Create(r.Context(), c)
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	http.Redirect(w, r, issCourseHref(created.Code)+"?done=courseSaved", http.StatusSeeOther)
}

func (iw *issuerWeb) ref(r *http.Request, s *consoleSession) courses.Ref {
	return courses.Ref{Provider: s.Org, Code: r.PathValue("code")}
}

func (iw *issuerWeb) course(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeRead); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	p := iw.page(w, r, "issuer.courses.title")
	c, err := iw.h.courses.Course(r.Context(), iw.ref(r, s))
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	p.Title = p.Lang.Pick(c.Title.Zh, c.Title.En)
	v := pages.CourseView{Nav: iw.nav(r, p.Lang, s, "courses"), Href: issCourseHref(c.Code), Course: issCourseRow(p.Lang, c),
		Form: issCourseForm(c), CanEdit: s.can(issuer.ScopeIssue)}
	after := ""
	for range 20 {
		list, err := iw.h.courses.Enrolments(r.Context(), iw.ref(r, s), after, 500)
		if err != nil {
			iw.h.webFail(w, r, err)
			return
		}
		for _, e := range list {
			row := pages.EnrolmentRow{Learner: e.Learner, Href: v.Href + "/enrolments/" + url.PathEscape(e.Learner),
				Status: string(e.Status), Enrolled: e.EnrolledAt}
			if e.Result != nil {
				row.Outcome = string(e.Result.Outcome)
				if e.Result.Score != nil {
					row.Score = "(" + strconv.Itoa(*e.Result.Score) + ")"
				}
			}
			if e.CredentialID != "" {
				row.CredentialHref = issCredHref(e.CredentialID)
			}
			row.CanResult = v.CanEdit && e.Status == courses.Enrolled
			row.CanComplete = v.CanEdit && (e.Status == courses.Enrolled && e.Result != nil && e.Result.Outcome == courses.Pass || e.Status == courses.Completing)
			v.Enrolments = append(v.Enrolments, row)
		}
		if len(list) < 500 {
			break
		}
		after = list[len(list)-1].Learner
	}
	v.Invitation = iw.h.shownSecret(r, s, &p, p.T("issuer.courses.inviteAgain"))
	iw.h.render(w, r, pages.CoursePage(p, v))
}

func (iw *issuerWeb) updateCourse(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeIssue); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	c, err := iw.h.courses.Course(r.Context(), iw.ref(r, s))
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	if err := courseFromForm(r, &c); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	if _, err := iw.h.courses.Update(r.Context(), c); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	http.Redirect(w, r, issCourseHref(c.Code)+"?done=courseSaved", http.StatusSeeOther)
}

// courseAction runs a change of the course and redirects to its page.
func (iw *issuerWeb) courseAction(w http.ResponseWriter, r *http.Request, s *consoleSession, done string, f func(ctx context.Context) error) {
	if err := issNeed(s, issuer.ScopeIssue); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
	defer cancel()
	if err := f(ctx); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	http.Redirect(w, r, issCourseHref(r.PathValue("code"))+"?done="+done, http.StatusSeeOther)
}

func (iw *issuerWeb) enrol(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	iw.courseAction(w, r, s, "enrolled", func(ctx context.Context) error {
		_, err := iw.h.courses.Enrol(ctx, iw.ref(r, s), strings.TrimSpace(r.PostFormValue("learner")))
		return err
	})
}

func (iw *issuerWeb) recordResult(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	iw.courseAction(w, r, s, "resultRecorded", func(ctx context.Context) error {
		res := courses.Result{Outcome: courses.Outcome(r.PostFormValue("outcome")), Assessor: "staff:" + s.Account}
		if v := strings.TrimSpace(r.PostFormValue("score")); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%w: score %q", errIssuerCourseNumber, v)
			}
			res.Score = &n
		}
		return iw.h.courses.RecordResult(ctx, iw.ref(r, s), r.PathValue("learner"), res)
	})
}

func (iw *issuerWeb) complete(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	iw.courseAction(w, r, s, "completed", func(ctx context.Context) error {
		_, err := iw.h.courses.Complete(ctx, iw.ref(r, s), r.PathValue("learner"))
		return err
	})
}

func (iw *issuerWeb) invite(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeIssue); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	inv, err := iw.h.courses.Invite(r.Context(), iw.ref(r, s), courses.InviteOptions{Note: strings.TrimSpace(r.PostFormValue("note"))})
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	p := iw.h.page(w, r, "issuer.courses.title")
	sec := pages.GovSecret{Label: p.Lang.F("issuer.courses.inviteCode", p.Lang.DateTime(inv.ExpiresAt)), Value: inv.Code}
	iw.h.showSecretOnce(w, r, s, sec, issCourseHref(r.PathValue("code")), "invited")
}
