package courses_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/talentchain/talentchain/courses"
)

func TestCreateValidation(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.create(t, course(uni, "BC-101"))
		t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		tests := []struct {
			name   string
			change func(*courses.Course)
			want   []courses.FieldError // nil: valid
		}{
			{"valid", func(c *courses.Course) {}, nil},
			{"status defaults to draft", func(c *courses.Course) { c.Status = "" }, nil},
			{"english title only", func(c *courses.Course) { c.Title.Zh = "" }, nil},
			{"no code", func(c *courses.Course) { c.Code = "" },
				[]courses.FieldError{{Field: "code", Reason: "required"}}},
			{"code with a slash", func(c *courses.Course) { c.Code = "BC/1" },
				[]courses.FieldError{{Field: "code", Reason: "must be 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit"}}},
			{"provider not a DID", func(c *courses.Course) { c.Provider = "tsinghua" },
				[]courses.FieldError{{Field: "provider", Reason: "must be a DID (did:method:id, at most 256 characters, no path, query or fragment)"}}},
			{"no title", func(c *courses.Course) { c.Title = courses.LangText{} },
				[]courses.FieldError{{Field: "title", Reason: "required"}}},
			{"title too long", func(c *courses.Course) { c.Title.En = string(make([]byte, 201)) },
				[]courses.FieldError{{Field: "title.en", Reason: "must be at most 200 characters"}}},
			{"no hours, negative credits", func(c *courses.Course) { c.Hours, c.Credits = 0, -1 },
				[]courses.FieldError{{Field: "hours", Reason: "must be at least 1"}, {Field: "credits", Reason: "must be at least 0"}}},
			{"repeated skill", func(c *courses.Course) { c.Skills = []string{"go", "go"} },
				[]courses.FieldError{{Field: "skills", Reason: "must not repeat an item"}}},
			{"empty skill", func(c *courses.Course) { c.Skills = []string{"go", ""} },
				[]courses.FieldError{{Field: "skills[1]", Reason: "required"}}},
			{"no sector", func(c *courses.Course) { c.Sector = "" },
				[]courses.FieldError{{Field: "sector", Reason: "required"}}},
			{"bad date", func(c *courses.Course) { c.Schedule.Start = "2026-13-01" },
				[]courses.FieldError{{Field: "schedule.start", Reason: "must be a date YYYY-MM-DD"}}},
			{"ends before it starts", func(c *courses.Course) { c.Schedule.End = "2026-02-01" },
				[]courses.FieldError{{Field: "schedule.end", Reason: "must not be before schedule.start"}}},
			{"session ends before it starts", func(c *courses.Course) {
				c.Schedule.Sessions = []courses.Session{{Start: t0, End: t0.Add(time.Hour)}, {Start: t0, End: t0}}
			}, []courses.FieldError{{Field: "schedule.sessions[1].end", Reason: "must be after Start"}}},
			{"negative capacity", func(c *courses.Course) { c.Capacity = -1 },
				[]courses.FieldError{{Field: "capacity", Reason: "must be at least 0"}}},
			{"unknown status", func(c *courses.Course) { c.Status = "archived" },
				[]courses.FieldError{{Field: "status", Reason: "must be one of: draft, open, closed"}}},
			{"unknown certificate", func(c *courses.Course) { c.Certificate = "DegreeCredential" },
				[]courses.FieldError{{Field: "certificate", Reason: "must be one of: TrainingCertificateCredential, CourseCompletionCredential"}}},
			{"unknown prerequisite", func(c *courses.Course) { c.Prerequisites = []string{"BC-101", "BC-999"} },
				[]courses.FieldError{{Field: "prerequisites[1]", Reason: "no course with this code at this provider"}}},
			{"prerequisite of another provider", func(c *courses.Course) { c.Provider = park; c.Prerequisites = []string{"BC-101"} },
				[]courses.FieldError{{Field: "prerequisites[0]", Reason: "no course with this code at this provider"}}},
			{"requires itself", func(c *courses.Course) { c.Prerequisites = []string{"X-1"} },
				[]courses.FieldError{{Field: "prerequisites[0]", Reason: "a course cannot require itself"}}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := course(uni, "X-1", tt.change)
				if tt.want == nil {
					c.Code = "OK-" + string(rune('A'+i))
				}
				got, err := e.svc.Create(ctx, c)
				if tt.want == nil {
					if err != nil {
						t.Fatalf("Create: %v", err)
					}
					if got.Status == "" || got.Certificate != courses.TrainingCertificate || got.CreatedAt.IsZero() {
						t.Errorf("defaults not applied: %+v", got)
					}
					return
				}
				var ve *courses.ValidationError
				if !errors.Is(err, courses.ErrInvalid) || !errors.As(err, &ve) {
					t.Fatalf("Create: %v, want a *ValidationError", err)
				}
				if !slices.Equal(ve.Fields, tt.want) {
					t.Errorf("fields = %+v\nwant     %+v", ve.Fields, tt.want)
				}
			})
		}
		if _, err := e.svc.Create(ctx, course(uni, "BC-101")); !errors.Is(err, courses.ErrExists) {
			t.Errorf("second BC-101 at one provider: %v, want ErrExists", err)
		}
		if _, err := e.svc.Create(ctx, course(park, "BC-101")); err != nil {
			t.Errorf("BC-101 at another provider: %v", err)
		}
	})
}

func TestUpdate(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		orig, err := e.svc.Create(ctx, course(uni, "BC-101", func(c *courses.Course) { c.Status = courses.StatusDraft }))
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Set(e.clock.Now().Add(time.Hour))
		c := orig
		c.Status, c.Capacity, c.CreatedAt = courses.StatusOpen, 5, time.Time{}
		got, err := e.svc.Update(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(orig.CreatedAt) || !got.UpdatedAt.After(orig.UpdatedAt) {
			t.Errorf("timestamps: created %v updated %v", got.CreatedAt, got.UpdatedAt)
		}
		if read, _ := e.svc.Course(ctx, orig.Ref()); read.Status != courses.StatusOpen || read.Capacity != 5 {
			t.Errorf("read back %+v", read)
		}
		if _, err := e.svc.Update(ctx, course(uni, "NOPE")); !errors.Is(err, courses.ErrNotFound) {
			t.Errorf("update of a missing course: %v, want ErrNotFound", err)
		}
		c.Hours = 0
		if _, err := e.svc.Update(ctx, c); !errors.Is(err, courses.ErrInvalid) {
			t.Errorf("invalid update: %v, want ErrInvalid", err)
		}
		if _, err := e.svc.Course(ctx, courses.Ref{Provider: uni, Code: "NOPE"}); !errors.Is(err, courses.ErrNotFound) {
			t.Errorf("Course of a missing code: %v", err)
		}
	})
}

func TestSearch(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.create(t, course(uni, "BC-101"))
		e.create(t, course(uni, "BC-201", func(c *courses.Course) { c.Skills = []string{"Go"}; c.Status = courses.StatusClosed }))
		e.create(t, course(uni, "BIO-1", func(c *courses.Course) {
			c.Title = courses.LangText{Zh: "生物医药创新", En: "Biomedical innovation"}
			c.Sector, c.Skills = "biomedicine", []string{"gmp"}
		}))
		e.create(t, course(park, "AI-7", func(c *courses.Course) {
			c.ProviderName = courses.LangText{Zh: "中关村科学城"}
			c.Title = courses.LangText{Zh: "人工智能工程", En: "AI engineering"}
			c.Sector, c.Skills = "ai", []string{"go", "python"}
		}))
		tests := []struct {
			name string
			q    courses.Query
			want []string
		}{
			{"everything, by provider and code", courses.Query{}, []string{"BC-101", "BC-201", "BIO-1", "AI-7"}},
			{"provider", courses.Query{Provider: uni}, []string{"BC-101", "BC-201", "BIO-1"}},
			{"sector", courses.Query{Sector: "Blockchain"}, []string{"BC-101", "BC-201"}},
			{"skill, any case", courses.Query{Skill: "go"}, []string{"BC-201", "AI-7"}},
			{"chinese text", courses.Query{Text: "生物"}, []string{"BIO-1"}},
			{"english text", courses.Query{Text: "ENGINEERING"}, []string{"AI-7"}},
			{"provider name", courses.Query{Text: "中关村"}, []string{"AI-7"}},
			{"status", courses.Query{Status: courses.StatusClosed}, []string{"BC-201"}},
			{"combined", courses.Query{Provider: uni, Sector: "blockchain", Status: courses.StatusOpen}, []string{"BC-101"}},
			{"nothing", courses.Query{Text: "quantum"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page, err := e.svc.Search(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, c := range page.Courses {
					got = append(got, c.Code)
				}
				if !slices.Equal(got, tt.want) || page.Next != "" {
					t.Errorf("got %q (next %q), want %q", got, page.Next, tt.want)
				}
			})
		}
		t.Run("pages", func(t *testing.T) {
			var got []string
			q := courses.Query{Limit: 3}
			for range 5 {
				page, err := e.svc.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range page.Courses {
					got = append(got, c.Code)
				}
				if page.Next == "" {
					break
				}
				q.After = page.Next
			}
			if want := []string{"BC-101", "BC-201", "BIO-1", "AI-7"}; !slices.Equal(got, want) {
				t.Errorf("paged %q, want %q", got, want)
			}
		})
		t.Run("invalid query", func(t *testing.T) {
			_, err := e.svc.Search(ctx, courses.Query{Limit: 501, Provider: "x"})
			var ve *courses.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 2 {
				t.Errorf("got %v, want 2 invalid fields", err)
			}
		})
	})
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  courses.Config
	}{
		{"no store, no issuer", courses.Config{}},
		{"invitation TTL too long", courses.Config{InvitationTTL: 400 * 24 * time.Hour}},
		{"negative lease", courses.Config{CompletionLease: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := courses.New(tt.cfg); err == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}
