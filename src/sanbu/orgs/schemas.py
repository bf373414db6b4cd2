from ninja import Schema


class OrgsDepartmentOut(Schema):
    id: int
    name: str
    uscc: str
    jurisdiction: str
    jurisdiction_name: str


class OrgsDepartmentIn(Schema):
    name: str
    uscc: str
    jurisdiction: str
    short_name: str = ""


class OrgsDepartmentCreated(Schema):
    department: OrgsDepartmentOut
    warnings: list[str]


class OrgsMeOut(Schema):
    username: str
    department: str
    department_uscc: str
    roles: list[str]
