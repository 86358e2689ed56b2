package i18n

// Labels of credential types and claims, for every page that shows a
// credential (keys "type.<Type>", "claim.<name>", "claim.<path>",
// "claim.<name>.<value>").
func init() {
	Add(M{
		"type.DegreeCredential":               {"学位证书", "Degree"},
		"type.TrainingCertificateCredential":  {"培训证书", "Training certificate"},
		"type.CourseCompletionCredential":     {"课程结业证明", "Course completion"},
		"type.TalentPolicyDecisionCredential": {"人才政策资格认定", "Talent-policy decision"},
		"claim.fullName":                      {"姓名", "Name"},
		"claim.dateOfBirth":                   {"出生日期", "Date of birth"},
		"claim.studentNumber":                 {"学号", "Student number"},
		"claim.degree":                        {"学位", "Degree"},
		"claim.level":                         {"层次", "Level"},
		"claim.degreeName":                    {"学位名称", "Degree name"},
		"claim.fieldOfStudy":                  {"专业", "Field of study"},
		"claim.disciplineCode":                {"学科代码", "Discipline code"},
		"claim.institution":                   {"院校", "Institution"},
		"claim.grade":                         {"成绩", "Grade"},
		"claim.honours":                       {"荣誉", "Honours"},
		"claim.enrolmentDate":                 {"入学日期", "Enrolment date"},
		"claim.graduationDate":                {"毕业日期", "Graduation date"},
		"claim.course":                        {"课程", "Course"},
		"claim.courseName":                    {"课程名称", "Course name"},
		"claim.name":                          {"名称", "Name"},
		"claim.code":                          {"编号", "Code"},
		"claim.hours":                         {"学时", "Hours"},
		"claim.learningHours":                 {"学时", "Learning hours"},
		"claim.skills":                        {"技能", "Skills"},
		"claim.sector":                        {"行业领域", "Sector"},
		"claim.completionDate":                {"结业日期", "Completion date"},
		"claim.score":                         {"分数", "Score"},
		"claim.result":                        {"结果", "Result"},
		"claim.training":                      {"培训", "Training"},
		"claim.email":                         {"电子邮箱", "Email"},
		"claim.level.bachelor":                {"学士", "Bachelor"},
		"claim.level.master":                  {"硕士", "Master"},
		"claim.level.doctor":                  {"博士", "Doctorate"},
		"claim.yes":                           {"是", "Yes"},
		"claim.no":                            {"否", "No"},
	})
}
